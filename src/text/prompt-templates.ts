/**
 * The prompts decoder rerankers were trained with, as their model cards publish them. The score is
 * read from the next-token logits of two answer tokens at the end (`answers`: the negative, then
 * the positive). Two layouts:
 * - 'body' (Qwen3-Reranker): prefix + body(instruction, query, document) + suffix, the body cut to
 *   what the prefix and suffix leave of the max length.
 * - 'query-document' (mxbai-rerank-v2): prefix + query part + sep + document part + sep + task +
 *   suffix, the query part cut to 3/4 of the max length and the document part to the rest; the max
 *   length counts the query and document parts only, as that card's code does.
 */
export type PromptTemplateName = 'qwen3-reranker' | 'mxbai-rerank-v2' | 'qwen3-reranker-seq-cls';

interface TemplateBase {
  name: PromptTemplateName;
  prefix: string;
  suffix: string;
  /** The card's default instruction ('' for none), used when neither the request nor --reranker-instruction gives one. */
  defaultInstruction: string;
  /** The answer tokens whose logits make the score: [negative, positive]. */
  answers: readonly [string, string];
}

export interface BodyTemplate extends TemplateBase {
  layout: 'body';
  body(instruction: string, query: string, document: string): string;
}

export interface QueryDocumentTemplate extends TemplateBase {
  layout: 'query-document';
  sep: string;
  /** The task text between the pair and the suffix. */
  task: string;
  query(instruction: string, query: string): string;
  document(document: string): string;
}

/** A text pair as sentence-transformers' CrossEncoder tokenizes it: two texts, each tokenized alone, cut longest_first together. */
export interface PairPartsTemplate extends TemplateBase {
  layout: 'pair-parts';
  first(instruction: string, query: string): string;
  second(document: string): string;
}

export type PromptTemplate = BodyTemplate | QueryDocumentTemplate | PairPartsTemplate;

const QWEN3_SYSTEM =
  '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n';
const QWEN3_ASSISTANT = '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n';
const QWEN3_INSTRUCTION = 'Given a web search query, retrieve relevant passages that answer the query';

export const PROMPT_TEMPLATES: Record<PromptTemplateName, PromptTemplate> = {
  // Qwen/Qwen3-Reranker-0.6B's model card: P(yes) over {no, yes} at the last position.
  'qwen3-reranker': {
    name: 'qwen3-reranker',
    layout: 'body',
    prefix: QWEN3_SYSTEM,
    suffix: QWEN3_ASSISTANT,
    defaultInstruction: QWEN3_INSTRUCTION,
    body: (instruction, query, document) => `<Instruct>: ${instruction}\n<Query>: ${query}\n<Document>: ${document}`,
    answers: ['no', 'yes'],
  },
  // mixedbread-ai/mxbai-rerank-base-v2 / -large-v2 (their published mxbai_rerank_v2.py): logit("1") - logit("0").
  'mxbai-rerank-v2': {
    name: 'mxbai-rerank-v2',
    layout: 'query-document',
    prefix: '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n',
    suffix: '<|im_end|>\n<|im_start|>assistant\n',
    sep: '\n',
    task: 'You are a search relevance expert who evaluates how well documents match search queries. For each query-document pair, carefully analyze the semantic relationship between them, then provide your binary relevance judgment (0 for not relevant, 1 for relevant).\nRelevance:',
    defaultInstruction: '',
    query: (instruction, query) => (instruction === '' ? `query: ${query}` : `instruction: ${instruction}\nquery: ${query}`),
    document: (document) => `document: ${document}`,
    answers: ['0', '1'],
  },
  // Qwen3-Reranker converted to Qwen3ForSequenceClassification (one logit: yes - no): its card's format_queries /
  // format_document texts, given to sentence-transformers' CrossEncoder as a pair.
  'qwen3-reranker-seq-cls': {
    name: 'qwen3-reranker-seq-cls',
    layout: 'pair-parts',
    prefix: '',
    suffix: '',
    defaultInstruction: QWEN3_INSTRUCTION,
    first: (instruction, query) => `${QWEN3_SYSTEM}<Instruct>: ${instruction}\n<Query>: ${query}\n`,
    second: (document) => `<Document>: ${document}${QWEN3_ASSISTANT}`,
    answers: ['no', 'yes'],
  },
};

export function isPromptTemplateName(name: string): name is PromptTemplateName {
  return Object.prototype.hasOwnProperty.call(PROMPT_TEMPLATES, name);
}
