/**
 * Where special tokens go around a (query, document) pair and which type id each part gets.
 * Truncation must happen on the bare token lists and the template be applied after, exactly as the
 * Rust tokenizers do, so we read the template from tokenizer.json instead of letting the library add it.
 */
export type TemplatePiece = { special: number[]; typeId: number } | { sequence: 'A' | 'B'; typeId: number };

export interface PairTemplate {
  pieces: TemplatePiece[];
  /** Special tokens the template adds to a pair. */
  specialCount: number;
  /** True when the template gives the second sequence a non-zero type id (BERT-style). */
  usesTypeIds: boolean;
}

type Json = Record<string, unknown>;

function idsOf(specialTokens: Json, name: string, vocab: (t: string) => number | undefined): number[] {
  const entry = specialTokens[name] as { ids?: number[] } | undefined;
  if (entry?.ids !== undefined) return entry.ids;
  const id = vocab(name);
  if (id === undefined) throw new Error(`tokenizer.json's post_processor names ${name}, which has no id`);
  return [id];
}

function fromTemplate(proc: Json, vocab: (t: string) => number | undefined): TemplatePiece[] {
  const pair = proc['pair'] as Json[] | undefined;
  if (!Array.isArray(pair)) throw new Error('TemplateProcessing has no pair template');
  const specials = (proc['special_tokens'] ?? {}) as Json;
  return pair.map((p): TemplatePiece => {
    const special = p['SpecialToken'] as { id: string; type_id?: number } | undefined;
    if (special !== undefined) return { special: idsOf(specials, special.id, vocab), typeId: special.type_id ?? 0 };
    const seq = p['Sequence'] as { id: 'A' | 'B'; type_id?: number } | undefined;
    if (seq === undefined) throw new Error('TemplateProcessing piece is neither SpecialToken nor Sequence');
    return { sequence: seq.id, typeId: seq.type_id ?? 0 };
  });
}

function tokenId(value: unknown): number {
  if (Array.isArray(value) && typeof value[1] === 'number') return value[1];
  throw new Error('post_processor token is not a [token, id] pair');
}

function piecesOf(proc: Json | null, vocab: (t: string) => number | undefined): TemplatePiece[] {
  if (proc === null) return [{ sequence: 'A', typeId: 0 }, { sequence: 'B', typeId: 1 }];
  switch (proc['type']) {
    case 'TemplateProcessing':
      return fromTemplate(proc, vocab);
    case 'BertProcessing': {
      const cls = tokenId(proc['cls']);
      const sep = tokenId(proc['sep']);
      return [{ special: [cls], typeId: 0 }, { sequence: 'A', typeId: 0 }, { special: [sep], typeId: 0 }, { sequence: 'B', typeId: 1 }, { special: [sep], typeId: 1 }];
    }
    case 'RobertaProcessing': {
      const cls = tokenId(proc['cls']);
      const sep = tokenId(proc['sep']);
      return [{ special: [cls], typeId: 0 }, { sequence: 'A', typeId: 0 }, { special: [sep, sep], typeId: 0 }, { sequence: 'B', typeId: 0 }, { special: [sep], typeId: 0 }];
    }
    case 'Sequence': {
      // e.g. ByteLevel (offsets only) followed by TemplateProcessing: the last one that places tokens wins.
      const inner = ((proc['processors'] ?? []) as Json[]).filter((p) => p['type'] !== 'ByteLevel');
      return piecesOf(inner.at(-1) ?? null, vocab);
    }
    case 'ByteLevel':
      return piecesOf(null, vocab);
    default:
      throw new Error(`post_processor type ${String(proc['type'])} is not supported`);
  }
}

export function pairTemplateFrom(postProcessor: unknown, vocab: (token: string) => number | undefined): PairTemplate {
  const pieces = piecesOf((postProcessor ?? null) as Json | null, vocab);
  let specialCount = 0;
  let usesTypeIds = false;
  for (const p of pieces) {
    if ('special' in p) specialCount += p.special.length;
    if (p.typeId !== 0) usesTypeIds = true;
  }
  return { pieces, specialCount, usesTypeIds };
}

/** Lays out one pair; the caller has already truncated a and b to fit. */
export function applyPairTemplate(t: PairTemplate, a: ArrayLike<number>, b: ArrayLike<number>): { ids: Int32Array; typeIds: Uint8Array } {
  const n = t.specialCount + a.length + b.length;
  const ids = new Int32Array(n);
  const typeIds = new Uint8Array(n);
  let at = 0;
  for (const p of t.pieces) {
    const src = 'special' in p ? p.special : p.sequence === 'A' ? a : b;
    for (let i = 0; i < src.length; i++) {
      ids[at] = src[i] as number;
      typeIds[at] = p.typeId;
      at++;
    }
  }
  return { ids, typeIds };
}
