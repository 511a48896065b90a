import { InvalidArgumentError } from '../errors.js';

/** What a request's `model` is matched against: a loaded model's served name. */
export interface Named {
  model: { servedName: string };
}

/** The part after the owner: `Qwen3-Reranker-0.6B` of `Qwen/Qwen3-Reranker-0.6B`. */
function shortName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/**
 * The loaded model a request names, by served name or by the part after the owner on either side
 * (a client sending `cross-encoder/ms-marco-MiniLM-L-6-v2` reaches the folder served as
 * `ms-marco-MiniLM-L-6-v2`, and `Qwen3-Reranker-0.6B` the model served as `Qwen/Qwen3-Reranker-0.6B`).
 * No name, or an unknown one, gets the default (the first), as Cohere-style clients send their own
 * model names; with `strict`, an unknown one is 422 UNKNOWN_MODEL listing what is loaded.
 */
export function pickModel<T extends Named>(loaded: readonly T[], requested: string | undefined, strict: boolean, what: string): T {
  const fallback = loaded[0];
  if (fallback === undefined) throw new Error(`no ${what} is loaded`);
  if (requested === undefined) return fallback;
  const exact = loaded.find((m) => m.model.servedName === requested);
  if (exact !== undefined) return exact;
  const short = shortName(requested);
  const byShortName = loaded.find((m) => shortName(m.model.servedName) === short);
  if (byShortName !== undefined) return byShortName;
  if (!strict) return fallback;
  const names = loaded.map((m) => `"${m.model.servedName}"`).join(', ');
  throw new InvalidArgumentError(`This server has no ${what} "${requested}"; it serves ${names}.`, 'UNKNOWN_MODEL');
}
