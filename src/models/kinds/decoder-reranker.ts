import { ModelLoadError } from '../../errors.js';
import type { ClassifierSettings, TokenLogitsSettings } from '../../runtime/heads/index.js';
import { packTexts } from '../../text/packed-texts.js';
import { PromptEncoder } from '../../text/prompt-encoder.js';
import { isPromptTemplateName, PROMPT_TEMPLATES, type PromptTemplateName } from '../../text/prompt-templates.js';
import { TextTokenizer } from '../../text/tokenizer.js';
import { loadModelFolder, positionLimit, readJson, type JsonObject } from '../model-folder.js';
import { DECODER_BUDGETS } from './decoder-budgets.js';
import type { LoadOptions, ModelKind, ModelSpec } from './kind.js';

/** Causal-LM architectures that load as rerankers, and the prompt each implies by model_type. */
const CAUSAL_ARCHITECTURES = ['Qwen3ForCausalLM', 'Qwen2ForCausalLM'];
const TEMPLATE_BY_MODEL_TYPE: Record<string, PromptTemplateName> = { qwen3: 'qwen3-reranker', qwen2: 'mxbai-rerank-v2' };
/** Decoder rerankers converted to sequence classifiers (one logit, read by the graph at the last real token), and their prompt. */
const SEQUENCE_CLASSIFIERS: Record<string, PromptTemplateName> = { Qwen3ForSequenceClassification: 'qwen3-reranker-seq-cls' };
/** The model cards' max_length; --max-length may lower it, the position table bounds the sequence. */
const DEFAULT_MAX_LENGTH = 8192;

export interface DecoderRerankerSpec extends ModelSpec {
  /** The card's max_length (8192, or --max-length): the whole sequence for Qwen3-Reranker, the query and document parts for mxbai-rerank-v2. */
  cardMaxLength: number;
  template: PromptTemplateName;
  /** The default instruction, when --reranker-instruction sets one. */
  instruction: string | undefined;
  encoder: PromptEncoder;
  /** token-logits for a causal LM; classifier for a converted sequence classifier. */
  head: TokenLogitsSettings | ClassifierSettings;
}

function readConfig(dir: string): JsonObject {
  try {
    return readJson(dir, 'config.json', false, '') ?? {};
  } catch {
    return {};
  }
}

function architectures(config: JsonObject): string[] {
  const a = config['architectures'];
  return Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : [];
}

function templateFor(dir: string, config: JsonObject, asked: string | undefined, classifier: PromptTemplateName | undefined): PromptTemplateName {
  const known = Object.keys(PROMPT_TEMPLATES).join(', ');
  if (asked !== undefined) {
    if (!isPromptTemplateName(asked)) throw new ModelLoadError(dir, `--reranker-template ${asked} is not a known prompt`, `Use one of: ${known}.`);
    return asked;
  }
  if (classifier !== undefined) return classifier;
  const modelType = String(config['model_type'] ?? '');
  const template = TEMPLATE_BY_MODEL_TYPE[modelType];
  if (template === undefined) throw new ModelLoadError(dir, `no reranker prompt is known for model_type ${modelType || '(none)'}`, `Name one with --reranker-template (${known}).`);
  return template;
}

/** A causal decoder reranker's answer token ids [negative, positive]; a converted classifier has none. */
export function answerIds(spec: DecoderRerankerSpec): [number, number] {
  if (spec.head.kind !== 'token-logits') throw new Error(`${spec.folder.dir} is a sequence classifier: it reads no answer tokens`);
  return spec.head.answers;
}

export function loadDecoderReranker(dir: string, opts: LoadOptions): DecoderRerankerSpec {
  const classifierTemplate = architectures(readConfig(dir)).map((a) => SEQUENCE_CLASSIFIERS[a]).find((t) => t !== undefined);
  const folder = loadModelFolder(dir, opts.onnxFile, classifierTemplate === undefined ? 'text-generation-with-past' : 'text-classification');
  const named = architectures(folder.config);
  if (classifierTemplate === undefined && !named.some((a) => CAUSAL_ARCHITECTURES.includes(a))) {
    throw new ModelLoadError(folder.dir, `config.json's architecture ${named.join(', ')} is not a supported decoder reranker`, `Supported: ${CAUSAL_ARCHITECTURES.join(', ')} (as rerankers by their yes/no logits), and every *ForSequenceClassification cross-encoder.`);
  }
  const template = templateFor(folder.dir, folder.config, opts.template, classifierTemplate);
  const tokenizer = new TextTokenizer(folder.tokenizer);
  if (!JSON.stringify(folder.tokenizerJson['pre_tokenizer'] ?? null).includes('"ByteLevel"')) {
    throw new ModelLoadError(folder.tokenizer.source, `the ${template} prompt needs a byte-level BPE tokenizer (Qwen's), and this one has no ByteLevel pre-tokenizer`, 'Use the tokenizer files of the model repository.');
  }
  const answers = PROMPT_TEMPLATES[template].answers.map((token) => {
    const id = tokenizer.idOf(token);
    if (id === undefined) throw new ModelLoadError(folder.tokenizer.source, `the ${template} prompt reads the logit of "${token}", which the tokenizer has no single token for`, 'Use the tokenizer files of the model repository.');
    return id;
  }) as [number, number];
  const cardMaxLength = Math.min(DEFAULT_MAX_LENGTH, opts.maxLength ?? Infinity);
  let encoder: PromptEncoder;
  try {
    encoder = new PromptEncoder(tokenizer, cardMaxLength, template, opts.instruction, positionLimit(folder.config) ?? Infinity);
  } catch (err) {
    throw new ModelLoadError(folder.dir, (err as Error).message, 'Raise --max-length.');
  }
  const head: DecoderRerankerSpec['head'] = classifierTemplate === undefined ? { kind: 'token-logits', answers } : { kind: 'classifier', numLabels: folder.numLabels, relevantLabel: folder.relevantLabel };
  return { folder, tokenizer, maxLength: encoder.sequenceMax, cardMaxLength, template, instruction: opts.instruction, encoder, head };
}

/**
 * A decoder-only LLM that reranks by the next-token logits of two answer tokens after a prompt
 * (Qwen3-Reranker): the score is P(positive) over {negative, positive}. Its graph is a
 * text-generation export; the score-head rewrite makes the LM head compute those two logits at the
 * last real token only.
 */
export const decoderReranker: ModelKind<DecoderRerankerSpec> = {
  name: 'decoder-reranker',
  role: 'reranker',
  // Every causal LM is claimed, so one this service cannot run is refused with its name instead of failing as a classifier.
  recognises: (config) => architectures(config).some((a) => a.endsWith('ForCausalLM') || a in SEQUENCE_CLASSIFIERS),
  load: loadDecoderReranker,
  encoder: (spec) => ({ template: 'prompt', prompt: spec.template, files: spec.folder.tokenizer, maxLength: spec.cardMaxLength, positions: positionLimit(spec.folder.config), instruction: spec.instruction }),
  sessionHead: (spec) => spec.head,
  rewrites: ['score-head'],
  // A converted classifier's graph already reads one token and one row.
  rewritesFor: (spec) => (spec.head.kind === 'token-logits' ? [`score-head:${spec.head.answers.join(',')}`] : []),
  usesInstruction: true,
  longBatches: true,
  budgets: DECODER_BUDGETS,
  warmUp: { kind: 'pairs', query: 'warm up', documents: packTexts(['warm up the session']), truncation: { direction: 'right', truncate: true } },
  identity: (spec) => ({ files: [spec.folder.onnxPath, ...spec.folder.tokenizerPaths], settings: { maxLength: spec.maxLength, head: spec.head, template: spec.template, instruction: spec.instruction ?? null } }),
  // TEI's /info fields as a one-logit reranker has them, and the prompt.
  info: (spec) => ({
    model_type: { reranker: { id2label: { '0': 'LABEL_0' } } },
    num_labels: 1,
    prompt: { template: spec.template, architectures: architectures(spec.folder.config), instruction: spec.instruction ?? (PROMPT_TEMPLATES[spec.template].defaultInstruction || null) },
  }),
};
