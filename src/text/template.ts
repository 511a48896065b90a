import type { EncodedSequence } from './sequence.js';

/**
 * Where special tokens go around one text or a (query, document) pair, and which type id each part
 * gets. Truncation must happen on the bare token lists and the template be applied after, exactly
 * as the Rust tokenizers do, so the templates are read from tokenizer.json instead of letting the
 * library add special tokens.
 */
export type TemplatePiece = { special: number[]; typeId: number } | { sequence: 'A' | 'B'; typeId: number };

export interface Template {
  pieces: TemplatePiece[];
  /** Special tokens the template adds. */
  specialCount: number;
  /** True when some piece has a non-zero type id (BERT-style pairs). */
  usesTypeIds: boolean;
}

export interface Templates {
  single: Template;
  pair: Template;
}

type Json = Record<string, unknown>;
type Vocab = (token: string) => number | undefined;
type Layout = { single: TemplatePiece[]; pair: TemplatePiece[] };

function idsOf(specialTokens: Json, name: string, vocab: Vocab): number[] {
  const entry = specialTokens[name] as { ids?: number[] } | undefined;
  if (entry?.ids !== undefined) return entry.ids;
  const id = vocab(name);
  if (id === undefined) throw new Error(`tokenizer.json's post_processor names ${name}, which has no id`);
  return [id];
}

function fromTemplate(proc: Json, vocab: Vocab): Layout {
  const specials = (proc['special_tokens'] ?? {}) as Json;
  const pieces = (which: 'single' | 'pair'): TemplatePiece[] => {
    const list = proc[which] as Json[] | undefined;
    if (!Array.isArray(list)) throw new Error(`TemplateProcessing has no ${which} template`);
    return list.map((p): TemplatePiece => {
      const special = p['SpecialToken'] as { id: string; type_id?: number } | undefined;
      if (special !== undefined) return { special: idsOf(specials, special.id, vocab), typeId: special.type_id ?? 0 };
      const seq = p['Sequence'] as { id: 'A' | 'B'; type_id?: number } | undefined;
      if (seq === undefined) throw new Error('TemplateProcessing piece is neither SpecialToken nor Sequence');
      return { sequence: seq.id, typeId: seq.type_id ?? 0 };
    });
  };
  return { single: pieces('single'), pair: pieces('pair') };
}

function tokenId(value: unknown): number {
  if (Array.isArray(value) && typeof value[1] === 'number') return value[1];
  throw new Error('post_processor token is not a [token, id] pair');
}

function layoutOf(proc: Json | null, vocab: Vocab): Layout {
  if (proc === null) return { single: [{ sequence: 'A', typeId: 0 }], pair: [{ sequence: 'A', typeId: 0 }, { sequence: 'B', typeId: 1 }] };
  switch (proc['type']) {
    case 'TemplateProcessing':
      return fromTemplate(proc, vocab);
    case 'BertProcessing': {
      const cls = tokenId(proc['cls']);
      const sep = tokenId(proc['sep']);
      return {
        single: [{ special: [cls], typeId: 0 }, { sequence: 'A', typeId: 0 }, { special: [sep], typeId: 0 }],
        pair: [{ special: [cls], typeId: 0 }, { sequence: 'A', typeId: 0 }, { special: [sep], typeId: 0 }, { sequence: 'B', typeId: 1 }, { special: [sep], typeId: 1 }],
      };
    }
    case 'RobertaProcessing': {
      const cls = tokenId(proc['cls']);
      const sep = tokenId(proc['sep']);
      return {
        single: [{ special: [cls], typeId: 0 }, { sequence: 'A', typeId: 0 }, { special: [sep], typeId: 0 }],
        pair: [{ special: [cls], typeId: 0 }, { sequence: 'A', typeId: 0 }, { special: [sep, sep], typeId: 0 }, { sequence: 'B', typeId: 0 }, { special: [sep], typeId: 0 }],
      };
    }
    case 'Sequence': {
      // e.g. ByteLevel (offsets only) followed by TemplateProcessing: the last one that places tokens wins.
      const inner = ((proc['processors'] ?? []) as Json[]).filter((p) => p['type'] !== 'ByteLevel');
      return layoutOf(inner.at(-1) ?? null, vocab);
    }
    case 'ByteLevel':
      return layoutOf(null, vocab);
    default:
      throw new Error(`post_processor type ${String(proc['type'])} is not supported`);
  }
}

function summarise(pieces: TemplatePiece[]): Template {
  let specialCount = 0;
  let usesTypeIds = false;
  for (const p of pieces) {
    if ('special' in p) specialCount += p.special.length;
    if (p.typeId !== 0) usesTypeIds = true;
  }
  return { pieces, specialCount, usesTypeIds };
}

export function templatesFrom(postProcessor: unknown, vocab: Vocab): Templates {
  const layout = layoutOf((postProcessor ?? null) as Json | null, vocab);
  return { single: summarise(layout.single), pair: summarise(layout.pair) };
}

/** Lays out one text (b undefined) or one pair; the caller has already truncated a and b to fit. */
export function applyTemplate(t: Template, a: ArrayLike<number>, b?: ArrayLike<number>): EncodedSequence {
  const empty: number[] = [];
  const n = t.specialCount + a.length + (b?.length ?? 0);
  const ids = new Int32Array(n);
  const typeIds = new Uint8Array(n);
  let at = 0;
  for (const p of t.pieces) {
    const src = 'special' in p ? p.special : p.sequence === 'A' ? a : (b ?? empty);
    for (let i = 0; i < src.length; i++) {
      ids[at] = src[i] as number;
      typeIds[at] = p.typeId;
      at++;
    }
  }
  return { ids, typeIds };
}
