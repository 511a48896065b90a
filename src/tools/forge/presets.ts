import { XLMR_VOCAB_SIZE } from './xlmr-tokenizer-files.js';

export type ForgePresetName = 'tiny' | 'minilm-l6' | 'embed-tiny' | 'embed-minilm-l6' | 'xlmr-tiny' | 'xlmr-base-shape' | 'embed-xlmr-tiny';

/** What a forged folder is: a cross-encoder (classifier head) or a sentence-transformers embedder. */
export type ForgeKind = 'cross-encoder' | 'embedder';

/**
 * The model family: BERT with a WordPiece vocabulary (bert-base-uncased's), or XLM-RoBERTa with a
 * SentencePiece Unigram vocabulary (assets/xlmr-spm), position ids counted from the padding index
 * and no token type input.
 */
export type ForgeFamily = 'bert' | 'xlm-roberta';

/** Architecture hyper-parameters of a forged model. */
export interface ForgePreset {
  name: ForgePresetName;
  kind: ForgeKind;
  family: ForgeFamily;
  /** Embedders: sentence_bert_config.json's max_seq_length (below the tokenizer's 512, as the hub's folders have it). */
  maxSeqLength?: number;
  /** Embedders: sentence-transformers' pooling; default mean (all-MiniLM-L6-v2), cls for bge-m3's layout. */
  pooling?: 'mean' | 'cls';
  numHiddenLayers: number;
  hiddenSize: number;
  numAttentionHeads: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
}

/** What every forged XLM-R shares: the SentencePiece vocabulary's size, one token type, RoBERTa's LayerNorm epsilon. */
const XLMR_COMMON = { family: 'xlm-roberta', vocabSize: XLMR_VOCAB_SIZE, typeVocabSize: 1, layerNormEps: 1e-5 } as const;
/** What every forged BERT shares: bert-base-uncased's vocabulary, 512 positions, two token types. */
const BERT_COMMON = { family: 'bert', vocabSize: 30522, maxPositionEmbeddings: 512, typeVocabSize: 2, layerNormEps: 1e-12 } as const;
/** Small enough that a test can forge, load and run it in well under a second. */
const TINY = { numHiddenLayers: 2, hiddenSize: 32, numAttentionHeads: 4, intermediateSize: 64 } as const;
/** MiniLM-L6's layers: cross-encoder/ms-marco-MiniLM-L-6-v2 and sentence-transformers/all-MiniLM-L6-v2. */
const MINILM_L6 = { numHiddenLayers: 6, hiddenSize: 384, numAttentionHeads: 12, intermediateSize: 1536 } as const;

export const PRESETS: Record<ForgePresetName, ForgePreset> = {
  tiny: { name: 'tiny', kind: 'cross-encoder', ...BERT_COMMON, ...TINY },
  // Same shapes as cross-encoder/ms-marco-MiniLM-L-6-v2, so latency and memory are realistic.
  'minilm-l6': { name: 'minilm-l6', kind: 'cross-encoder', ...BERT_COMMON, ...MINILM_L6 },
  // An embedder as small as `tiny`, in sentence-transformers' layout: mean pooling, Normalize.
  'embed-tiny': { name: 'embed-tiny', kind: 'embedder', maxSeqLength: 128, ...BERT_COMMON, ...TINY },
  // The shape of sentence-transformers/all-MiniLM-L6-v2: 6 layers, 384 wide, max_seq_length 256.
  'embed-minilm-l6': { name: 'embed-minilm-l6', kind: 'embedder', maxSeqLength: 256, ...BERT_COMMON, ...MINILM_L6 },
  // XLM-RoBERTa as small as `tiny`: 514 positions (512 usable after the padding offset) like xlm-roberta-base.
  'xlmr-tiny': { name: 'xlmr-tiny', kind: 'cross-encoder', ...XLMR_COMMON, ...TINY, maxPositionEmbeddings: 514 },
  // BAAI/bge-reranker-v2-m3's shape (XLM-RoBERTa large, 8192 usable positions) at the small vocabulary, so
  // latency and memory are realistic apart from the 250k-row embedding table. Its ONNX file is 1.25 GB: one
  // protobuf, under the 2 GB that ONNX Runtime's parser accepts, so no external data is needed.
  'xlmr-base-shape': {
    name: 'xlmr-base-shape',
    kind: 'cross-encoder',
    ...XLMR_COMMON,
    numHiddenLayers: 24,
    hiddenSize: 1024,
    numAttentionHeads: 16,
    intermediateSize: 4096,
    maxPositionEmbeddings: 8194,
  },
  // bge-m3's dense layout (CLS pooling, Normalize) at `xlmr-tiny`'s size.
  'embed-xlmr-tiny': { name: 'embed-xlmr-tiny', kind: 'embedder', maxSeqLength: 512, pooling: 'cls', ...XLMR_COMMON, ...TINY, maxPositionEmbeddings: 514 },
};

export function isPresetName(name: string): name is ForgePresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, name);
}
