import { ModelLoadError } from '../../errors.js';
import type { ClassifierSettings } from '../../runtime/heads/index.js';
import { PairEncoder } from '../../text/pair-encoder.js';
import { TextTokenizer } from '../../text/tokenizer.js';
import { loadModelFolder } from '../model-folder.js';
import { CROSS_ENCODER_BUDGETS } from './encoder-budgets.js';
import type { LoadOptions, ModelKind, ModelSpec } from './kind.js';
import { packTexts } from '../../text/packed-texts.js';

export interface CrossEncoderSpec extends ModelSpec {
  encoder: PairEncoder;
  head: ClassifierSettings;
}

/** Everything about a model folder that the main thread needs; sessions are created where they run. */
export function loadCrossEncoder(dir: string, opts: LoadOptions): CrossEncoderSpec {
  const folder = loadModelFolder(dir, opts.onnxFile, 'text-classification');
  const tokenizer = new TextTokenizer(folder.tokenizer);
  const maxLength = Math.min(folder.modelMaxLength, opts.maxLength ?? Infinity);
  if (maxLength < tokenizer.templates.pair.specialCount + 2) {
    throw new ModelLoadError(folder.dir, `a max length of ${maxLength} leaves no room for a query and a document`, 'Raise --max-length.');
  }
  return {
    folder,
    tokenizer,
    encoder: new PairEncoder(tokenizer, maxLength),
    maxLength,
    head: { kind: 'classifier', numLabels: folder.numLabels, relevantLabel: folder.relevantLabel },
  };
}

/** A BERT-family sequence classifier that reads query and document together (ms-marco MiniLM, bge-reranker). */
export const crossEncoder: ModelKind<CrossEncoderSpec> = {
  name: 'cross-encoder',
  role: 'reranker',
  // The fallback reranker kind: every reranker folder the other kinds do not claim.
  recognises: () => true,
  load: loadCrossEncoder,
  encoder: (spec) => ({ template: 'pair', files: spec.folder.tokenizer, maxLength: spec.maxLength }),
  sessionHead: (spec) => spec.head,
  rewrites: ['first-token-head'],
  budgets: CROSS_ENCODER_BUDGETS,
  warmUp: { kind: 'pairs', query: 'warm up', documents: packTexts(['warm up the session']), truncation: { direction: 'right', truncate: true } },
  identity: (spec) => ({ files: [spec.folder.onnxPath, ...spec.folder.tokenizerPaths], settings: { maxLength: spec.maxLength, head: spec.head } }),
  info: (spec) => ({ model_type: { reranker: { id2label: spec.folder.config.id2label ?? { '0': 'LABEL_0' } } }, num_labels: spec.folder.numLabels }),
};
