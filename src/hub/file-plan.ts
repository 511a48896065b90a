import { HubError } from './hub-error.js';

export const DEFAULT_ONNX_FILE = 'onnx/model.onnx';
/** Older exports put the graph at the repo root; only tried when the caller did not name a file. */
export const ROOT_ONNX_FILE = 'model.onnx';

export interface SupportFile {
  path: string;
  /** Required files that 404 abort the pull; optional ones are skipped silently. */
  required: boolean;
}

/**
 * tokenizer.json and vocab.txt are individually optional because old BERT repos ship only
 * vocab.txt; `missingRequired` enforces that at least one of them is present.
 */
export const SUPPORT_FILES: readonly SupportFile[] = [
  { path: 'config.json', required: true },
  { path: 'tokenizer.json', required: false },
  { path: 'tokenizer_config.json', required: true },
  { path: 'special_tokens_map.json', required: false },
  { path: 'vocab.txt', required: false },
  { path: 'sentencepiece.bpe.model', required: false },
  // sentence-transformers' pipeline files: what pooling and normalisation an embedding model uses.
  { path: 'modules.json', required: false },
  { path: 'sentence_bert_config.json', required: false },
  { path: 'config_sentence_transformers.json', required: false },
  { path: '1_Pooling/config.json', required: false },
];

const TOKENIZER_SOURCES = ['tokenizer.json', 'vocab.txt'];

/** Describes what is missing for a servable folder, or undefined when nothing is. */
export function missingRequired(present: ReadonlySet<string>, onnxFile: string): string | undefined {
  const missing = SUPPORT_FILES.filter((f) => f.required && !present.has(f.path)).map((f) => f.path);
  if (!present.has(onnxFile)) missing.push(onnxFile);
  if (!TOKENIZER_SOURCES.some((p) => present.has(p))) missing.push('tokenizer.json or vocab.txt');
  return missing.length > 0 ? missing.join(', ') : undefined;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

export function checkRepoId(repoId: string): void {
  if (!REPO_ID.test(repoId) || repoId.includes('..')) {
    throw new HubError('HUB_INVALID_ARGUMENT', `'${repoId}' is not a hub repository id (expected owner/name).`);
  }
}

/** The file path ends up both in a URL and under destDir, so it must not be able to climb out of either. */
export function checkRepoPath(path: string): void {
  const segments = path.split('/');
  const bad = path.startsWith('/') || path.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new HubError('HUB_INVALID_ARGUMENT', `'${path}' is not a relative file path inside the repository.`);
}
