import { ModelLoadError } from '../../errors.js';
import type { TokenLogitsSettings } from '../../runtime/heads/index.js';
import { packTexts } from '../../text/packed-texts.js';
import { PromptEncoder } from '../../text/prompt-encoder.js';
import { isPromptTemplateName, PROMPT_TEMPLATES, type PromptTemplateName } from '../../text/prompt-templates.js';
import { TextTokenizer } from '../../text/tokenizer.js';
import { loadModelFolder, positionLimit, type JsonObject } from '../model-folder.js';
import { DECODER_BUDGETS } from './decoder-budgets.js';
import type { LoadOptions, ModelKind, ModelSpec } from './kind.js';

/** Causal-LM architectures that load as rerankers, and the prompt each implies by model_type. */
const CAUSAL_ARCHITECTURES = ['Qwen3ForCausalLM', 'Qwen2ForCausalLM'];
const TEMPLATE_BY_MODEL_TYPE: Record<string, PromptTemplateName> = { qwen3: 'qwen3-reranker', qwen2: 'mxbai-rerank-v2' };
/** The model cards' max_length; --max-length may lower it, the position table bounds the sequence. */
const DEFAULT_MAX_LENGTH = 8192;

export interface DecoderRerankerSpec extends ModelSpec {
  /** The card's max_length (8192, or --max-length): the whole sequence for Qwen3-Reranker, the query and document parts for mxbai-rerank-v2. */
  cardMaxLength: number;
  template: PromptTemplateName;
  /** The default instruction, when --reranker-instruction sets one. */
  instruction: string | undefined;
  encoder: PromptEncoder;
  head: TokenLogitsSettings;
}

function architectures(config: JsonObject): string[] {
  const a = config['architectures'];
  return Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : [];
}

function templateFor(dir: string, config: JsonObject, asked: string | undefined): PromptTemplateName {
  const known = Object.keys(PROMPT_TEMPLATES).join(', ');
  if (asked !== undefined) {
    if (!isPromptTemplateName(asked)) throw new ModelLoadError(dir, `--reranker-template ${asked} is not a known prompt`, `Use one of: ${known}.`);
    return asked;
  }
  const modelType = String(config['model_type'] ?? '');
  const template = TEMPLATE_BY_MODEL_TYPE[modelType];
  if (template === undefined) throw new ModelLoadError(dir, `no reranker prompt is known for model_type ${modelType || '(none)'}`, `Name one with --reranker-template (${known}).`);
  return template;
}

export function loadDecoderReranker(dir: string, opts: LoadOptions): DecoderRerankerSpec {
  const folder = loadModelFolder(dir, opts.onnxFile, 'text-generation-with-past');
  const named = architectures(folder.config);
  if (!named.some((a) => CAUSAL_ARCHITECTURES.includes(a))) {
    throw new ModelLoadError(folder.dir, `config.json's architecture ${named.join(', ')} is not a supported decoder reranker`, `Supported: ${CAUSAL_ARCHITECTURES.join(', ')} (as rerankers by their yes/no logits), and every *ForSequenceClassification cross-encoder.`);
  }
  const template = templateFor(folder.dir, folder.config, opts.template);
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
  return { folder, tokenizer, maxLength: encoder.sequenceMax, cardMaxLength, template, instruction: opts.instruction, encoder, head: { kind: 'token-logits', answers } };
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
  recognises: (config) => architectures(config).some((a) => a.endsWith('ForCausalLM')),
  load: loadDecoderReranker,
  encoder: (spec) => ({ template: 'prompt', prompt: spec.template, files: spec.folder.tokenizer, maxLength: spec.cardMaxLength, positions: positionLimit(spec.folder.config), instruction: spec.instruction }),
  sessionHead: (spec) => spec.head,
  rewrites: ['score-head'],
  rewritesFor: (spec) => [`score-head:${spec.head.answers.join(',')}`],
  usesInstruction: true,
  budgets: DECODER_BUDGETS,
  warmUp: { kind: 'pairs', query: 'warm up', documents: packTexts(['warm up the session']), truncation: { direction: 'right', truncate: true } },
  identity: (spec) => ({ files: [spec.folder.onnxPath, ...spec.folder.tokenizerPaths], settings: { maxLength: spec.maxLength, head: spec.head, template: spec.template, instruction: spec.instruction ?? null } }),
  info: (spec) => ({ model_type: { reranker: { template: spec.template, architectures: architectures(spec.folder.config) } }, instruction: spec.instruction ?? (PROMPT_TEMPLATES[spec.template].defaultInstruction || null) }),
};
