import * as library from '@huggingface/tokenizers';
import { PrecompiledCharsmap } from './precompiled-charsmap.js';

type Json = Record<string, unknown>;

/**
 * The library exports its normalizer classes at run time, but its .d.ts re-exports them without
 * file extensions, which NodeNext resolution does not follow; so the one we use is typed here.
 */
type SequenceNormalizerClass = new (config: { type: 'Sequence'; normalizers: Json[] }) => { normalize(text: string): string };
const { SequenceNormalizer } = library as unknown as { SequenceNormalizer?: SequenceNormalizerClass };

/** What the library gets and what runs before it, once the `Precompiled` steps are taken out. */
export interface NormalizerSplit {
  /** tokenizer.json for @huggingface/tokenizers: the normalizer holds only the steps after the last Precompiled. */
  tokenizerJson: Json;
  /** The steps up to and including the last Precompiled, with our charsmap; undefined when there is none. */
  prenormalize: ((text: string) => string) | undefined;
}

/** A Sequence inside a Sequence runs its steps in order, so nesting can be flattened. */
function flatten(normalizer: Json): Json[] {
  if (normalizer['type'] !== 'Sequence') return [normalizer];
  const inner = normalizer['normalizers'];
  if (!Array.isArray(inner)) throw new Error('a Sequence normalizer has no normalizers list');
  return (inner as Json[]).flatMap(flatten);
}

function charsmapStep(step: Json): (text: string) => string {
  const blob = step['precompiled_charsmap'];
  // The Rust library accepts an empty charsmap and then changes nothing; so do we.
  if (blob === null || blob === undefined || blob === '') return (text) => text;
  if (typeof blob !== 'string') throw new Error('the Precompiled normalizer has no base64 precompiled_charsmap');
  const charsmap = PrecompiledCharsmap.fromBase64(blob);
  return (text) => charsmap.normalize(text);
}

function libraryStep(steps: Json[]): (text: string) => string {
  if (SequenceNormalizer === undefined) throw new Error('@huggingface/tokenizers no longer exports SequenceNormalizer');
  const sequence = new SequenceNormalizer({ type: 'Sequence', normalizers: steps });
  return (text) => sequence.normalize(text);
}

/**
 * Takes every `Precompiled` step out of tokenizer.json's normalizer so that our charsmap runs it
 * (SentencePiece's rules exactly, see precompiled-charsmap.ts) instead of the library's
 * approximation. Steps before the last Precompiled run here, in order, through the library's own
 * normalizers; the steps after it (XLM-R's Strip and Replace, which stand in for SentencePiece's
 * whitespace rules) stay in the tokenizer.json the library loads, as do the Metaspace pre-tokenizer
 * and the model. A tokenizer.json without Precompiled passes through untouched.
 *
 * Normalising before the library also moves the charsmap ahead of the library's added-token split;
 * the charsmap has no rule that touches the ASCII of `<s>`-style special tokens, so that changes
 * nothing.
 */
export function splitPrecompiled(tokenizerJson: Json): NormalizerSplit {
  const normalizer = tokenizerJson['normalizer'];
  if (normalizer === null || typeof normalizer !== 'object') return { tokenizerJson, prenormalize: undefined };
  const steps = flatten(normalizer as Json);
  const last = steps.findLastIndex((s) => s['type'] === 'Precompiled');
  if (last < 0) return { tokenizerJson, prenormalize: undefined };

  const before: ((text: string) => string)[] = [];
  let pending: Json[] = [];
  for (const step of steps.slice(0, last + 1)) {
    if (step['type'] !== 'Precompiled') {
      pending.push(step);
      continue;
    }
    if (pending.length > 0) before.push(libraryStep(pending));
    pending = [];
    before.push(charsmapStep(step));
  }
  const after = steps.slice(last + 1);
  return {
    tokenizerJson: { ...tokenizerJson, normalizer: after.length === 0 ? null : { type: 'Sequence', normalizers: after } },
    prenormalize: (text) => before.reduce((t, step) => step(t), text),
  };
}
