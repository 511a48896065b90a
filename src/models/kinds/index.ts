import type { ModelRole } from '../../metrics.js';
import { crossEncoder } from './cross-encoder.js';
import { decoderReranker } from './decoder-reranker.js';
import { embedder } from './embedder.js';
import type { ModelKind, ModelSpec } from './kind.js';

/**
 * Every model kind the service can load, most specific first within a role: a folder loads as the
 * first kind of its role that recognises it. A new kind is one descriptor file and a line here.
 */
export const KINDS: readonly ModelKind<ModelSpec>[] = [decoderReranker, crossEncoder, embedder];

export function kindNamed(name: string): ModelKind<ModelSpec> {
  const kind = KINDS.find((k) => k.name === name);
  if (kind === undefined) throw new Error(`unknown model kind ${name} (known: ${KINDS.map((k) => k.name).join(', ')})`);
  return kind;
}

/** The kinds that can play a role, in the order they are tried on a folder. */
export function kindsFor(role: ModelRole): ModelKind<ModelSpec>[] {
  return KINDS.filter((k) => k.role === role);
}

/** Every rewrite some kind turns on at load (what `reranker optimize --rewrites default` tries). */
export const DEFAULT_REWRITES: readonly string[] = [...new Set(KINDS.flatMap((k) => k.rewrites))];

export { crossEncoder, decoderReranker, embedder };
export type { ModelKind, ModelSpec, LoadOptions } from './kind.js';
