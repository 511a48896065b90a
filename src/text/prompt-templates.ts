/**
 * The prompts decoder rerankers were trained with, as their model cards publish them: a fixed
 * prefix and suffix around a body that holds the instruction, the query and the document. The
 * score is read from the next-token logits of two answer tokens at the end (`answers`: the
 * negative, then the positive).
 */
export type PromptTemplateName = 'qwen3-reranker';

export interface PromptTemplate {
  name: PromptTemplateName;
  prefix: string;
  suffix: string;
  /** The card's default instruction, used when neither the request nor --reranker-instruction gives one. */
  defaultInstruction: string;
  body(instruction: string, query: string, document: string): string;
  /** The answer tokens whose logits make the score: [negative, positive]. */
  answers: readonly [string, string];
}

export const PROMPT_TEMPLATES: Record<PromptTemplateName, PromptTemplate> = {
  // Qwen/Qwen3-Reranker-0.6B's model card: P(yes) over {no, yes} at the last position.
  'qwen3-reranker': {
    name: 'qwen3-reranker',
    prefix:
      '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n',
    suffix: '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
    defaultInstruction: 'Given a web search query, retrieve relevant passages that answer the query',
    body: (instruction, query, document) => `<Instruct>: ${instruction}\n<Query>: ${query}\n<Document>: ${document}`,
    answers: ['no', 'yes'],
  },
};

export function isPromptTemplateName(name: string): name is PromptTemplateName {
  return Object.prototype.hasOwnProperty.call(PROMPT_TEMPLATES, name);
}
