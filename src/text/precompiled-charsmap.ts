/**
 * SentencePiece's precompiled normalisation rules (the `precompiled_charsmap` of a `Precompiled`
 * normaliser in tokenizer.json, the same bytes as `normalizer_spec.precompiled_charsmap` in the
 * .model file), applied the way SentencePiece's normalizer.cc applies them.
 *
 * The blob is a 4-byte little-endian size, a darts-clone double-array trie of that many bytes whose
 * keys are UTF-8 byte strings, then a table of NUL-terminated replacement strings that the trie's
 * values point into. At each position SentencePiece takes the longest key that prefixes the rest of
 * the input and emits its replacement; where no key matches it copies one character unchanged.
 *
 * @huggingface/tokenizers (JS) does not read the blob at all: it approximates it with NFKC and a
 * regular expression that also turns U+200D ZERO WIDTH JOINER into a space, which changes the ids
 * of Devanagari conjuncts and emoji sequences. The Rust tokenizers read it per grapheme cluster and
 * so miss keys longer than one cluster's first character when the cluster is 6 bytes or more (a
 * half-width katakana with its voiced mark); SentencePiece, which the models were trained with,
 * matches on bytes, and so does this.
 */

/** darts-clone unit layout: bit 8 has_leaf, bits 0-7 (and 31) label, bits 10-31 offset, bit 9 its scale. */
function hasLeaf(unit: number): boolean {
  return ((unit >>> 8) & 1) === 1;
}
function valueOf(unit: number): number {
  return unit & 0x7fffffff;
}
function labelOf(unit: number): number {
  // Bit 31 is kept so that a value unit never matches a byte.
  return (unit & 0x800000ff) >>> 0;
}
function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & 0x200) >>> 6);
}

/** Bytes of the UTF-8 sequence a lead byte starts; a stray continuation byte counts as one. */
function utf8Length(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly table: Uint8Array;
  /** Replacement bytes by table offset, decoded once. */
  private readonly replacements = new Map<number, Uint8Array>();

  private constructor(units: Uint32Array, table: Uint8Array) {
    this.units = units;
    this.table = table;
  }

  /** Reads the base64 blob tokenizer.json carries; throws on a blob that is not a charsmap. */
  static fromBase64(blob: string): PrecompiledCharsmap {
    const bytes = Buffer.from(blob, 'base64');
    if (bytes.length < 4) throw new Error(`precompiled_charsmap has ${bytes.length} bytes, fewer than its own size field`);
    const trieSize = bytes.readUInt32LE(0);
    if (trieSize % 4 !== 0 || trieSize === 0 || 4 + trieSize > bytes.length) {
      throw new Error(`precompiled_charsmap declares a ${trieSize}-byte trie in a ${bytes.length}-byte blob`);
    }
    const units = new Uint32Array(trieSize / 4);
    for (let i = 0; i < units.length; i++) units[i] = bytes.readUInt32LE(4 + i * 4);
    return new PrecompiledCharsmap(units, new Uint8Array(bytes.subarray(4 + trieSize)));
  }

  /** Length and table offset of the longest key that prefixes input[from..], or length 0. */
  private longestMatch(input: Uint8Array, from: number): { length: number; value: number } {
    const units = this.units;
    let length = 0;
    let value = 0;
    let node = offsetOf(units[0] ?? 0);
    for (let i = from; i < input.length; i++) {
      const byte = input[i] as number;
      node ^= byte;
      const unit = units[node];
      if (unit === undefined || labelOf(unit) !== byte) break;
      node ^= offsetOf(unit);
      if (hasLeaf(unit)) {
        length = i - from + 1;
        value = valueOf(units[node] ?? 0);
      }
    }
    return { length, value };
  }

  private replacement(offset: number): Uint8Array {
    let bytes = this.replacements.get(offset);
    if (bytes === undefined) {
      let end = offset;
      while (end < this.table.length && this.table[end] !== 0) end++;
      bytes = this.table.subarray(offset, end);
      this.replacements.set(offset, bytes);
    }
    return bytes;
  }

  /** The text with every rule applied, longest match first, left to right (SentencePiece's NormalizePrefix loop). */
  normalize(text: string): string {
    const input = Buffer.from(text, 'utf8');
    // Replacements rarely grow a text by more than NFKC's worst cases; the buffer grows if they do.
    let out = new Uint8Array(input.length + 16);
    let size = 0;
    const push = (bytes: Uint8Array): void => {
      if (size + bytes.length > out.length) {
        const bigger = new Uint8Array(Math.max(out.length * 2, size + bytes.length));
        bigger.set(out.subarray(0, size));
        out = bigger;
      }
      out.set(bytes, size);
      size += bytes.length;
    };
    let changed = false;
    for (let at = 0; at < input.length; ) {
      const { length, value } = this.longestMatch(input, at);
      if (length > 0) {
        const replacement = this.replacement(value);
        if (!changed && (replacement.length !== length || !replacement.every((b, i) => b === input[at + i]))) changed = true;
        push(replacement);
        at += length;
      } else {
        const n = Math.min(utf8Length(input[at] as number), input.length - at);
        push(input.subarray(at, at + n));
        at += n;
      }
    }
    return changed ? Buffer.from(out.buffer, out.byteOffset, size).toString('utf8') : text;
  }
}
