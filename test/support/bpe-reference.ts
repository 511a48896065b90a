import { readFileSync } from 'node:fs';

/**
 * An independent reference for byte-level BPE tokenizers (GPT-2 style, as Qwen's tokenizer.json
 * describes one), written in the test from the algorithm's definition: added tokens matched
 * leftmost-longest on the raw text, NFC, the file's split regex (isolated matches), bytes mapped to
 * GPT-2's printable alphabet, then the lowest-ranked merge applied until none applies. It reads only
 * the file's data (vocabulary, merges, pattern, added tokens) and shares no code with the service's
 * tokenizer library. It covers what Qwen's file uses and refuses anything else, so a file it does
 * not describe cannot pass by accident.
 */
interface TokenizerJson {
  normalizer: { type: string } | null;
  pre_tokenizer: { type: string; pretokenizers: { type: string; pattern?: { Regex: string }; behavior?: string; use_regex?: boolean; add_prefix_space?: boolean }[] };
  model: { type: string; vocab: Record<string, number>; merges: ([string, string] | string)[]; ignore_merges?: boolean; byte_fallback?: boolean };
  added_tokens: { id: number; content: string; lstrip: boolean; rstrip: boolean; normalized: boolean; single_word: boolean }[];
}

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to 256 + n in order. */
function byteAlphabet(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(printable(b) ? b : next++);
  return out;
}

export class BpeReference {
  private readonly vocab: Map<string, number>;
  private readonly ranks = new Map<string, number>();
  private readonly added: { content: string; id: number }[];
  private readonly split: RegExp;
  private readonly bytes = byteAlphabet();

  constructor(tokenizerJsonPath: string) {
    const t = JSON.parse(readFileSync(tokenizerJsonPath, 'utf8')) as TokenizerJson;
    if (t.model.type !== 'BPE' || t.model.ignore_merges === true || t.model.byte_fallback === true) throw new Error('not a plain byte-level BPE model');
    if (t.normalizer !== null && t.normalizer.type !== 'NFC') throw new Error(`normalizer ${t.normalizer.type} is not covered`);
    const [split, byteLevel, ...rest] = t.pre_tokenizer.pretokenizers;
    if (t.pre_tokenizer.type !== 'Sequence' || split?.type !== 'Split' || split.behavior !== 'Isolated' || byteLevel?.type !== 'ByteLevel' || byteLevel.use_regex !== false || byteLevel.add_prefix_space !== false || rest.length > 0) {
      throw new Error('pre-tokenizer is not Split(Isolated) + ByteLevel');
    }
    if (t.added_tokens.some((a) => a.lstrip || a.rstrip || a.single_word || a.normalized)) throw new Error('added-token options are not covered');
    this.split = new RegExp(split.pattern?.Regex ?? '', 'gu');
    this.vocab = new Map(Object.entries(t.model.vocab));
    t.model.merges.forEach((m, rank) => this.ranks.set(Array.isArray(m) ? m.join(' ') : m, rank));
    this.added = t.added_tokens.map((a) => ({ content: a.content, id: a.id })).sort((a, b) => b.content.length - a.content.length);
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    let plain = '';
    for (let i = 0; i < text.length; ) {
      const hit = this.added.find((a) => text.startsWith(a.content, i));
      if (hit === undefined) {
        plain += text[i];
        i += 1;
        continue;
      }
      ids.push(...this.encodePlain(plain), hit.id);
      plain = '';
      i += hit.content.length;
    }
    return [...ids, ...this.encodePlain(plain)];
  }

  private encodePlain(text: string): number[] {
    const ids: number[] = [];
    for (const [piece] of text.normalize('NFC').matchAll(this.split)) {
      const symbols = Array.from(Buffer.from(piece, 'utf8'), (b) => this.bytes[b] as string);
      for (const symbol of this.merge(symbols)) {
        const id = this.vocab.get(symbol);
        if (id === undefined) throw new Error(`symbol ${symbol} is not in the vocabulary`);
        ids.push(id);
      }
    }
    return ids;
  }

  private merge(symbols: string[]): string[] {
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) return symbols;
      symbols.splice(best, 2, `${symbols[best]}${symbols[best + 1]}`);
    }
  }
}
