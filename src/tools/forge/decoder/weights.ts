import { normal, type FloatTensor } from '../weights.js';
import type { DecoderPreset } from './presets.js';

/**
 * Initializer names of forged decoders: the PyTorch state_dict of Qwen3ForCausalLM / Qwen2ForCausalLM.
 * As in the encoder forge, `.weight_t` is a Linear weight stored [in, out] for MatMul; embedding
 * tables and norm gains keep PyTorch's layout. The graph, the tests' reference forward and the
 * quantizer find weights by these names.
 */
export const DECODER_NAMES = {
  embed: 'model.embed_tokens.weight',
  norm: 'model.norm.weight',
  /** Only when the embeddings are not tied: lm_head.weight transposed, [hidden, vocab]. */
  lmHead: 'lm_head.weight_t',
  /** A converted sequence classifier's one-logit head, [hidden, 1]. */
  score: 'score.weight_t',
  layer(i: number) {
    const p = `model.layers.${i}`;
    return {
      inputNorm: `${p}.input_layernorm.weight`,
      q: `${p}.self_attn.q_proj.weight_t`,
      k: `${p}.self_attn.k_proj.weight_t`,
      v: `${p}.self_attn.v_proj.weight_t`,
      qBias: `${p}.self_attn.q_proj.bias`,
      kBias: `${p}.self_attn.k_proj.bias`,
      vBias: `${p}.self_attn.v_proj.bias`,
      o: `${p}.self_attn.o_proj.weight_t`,
      qNorm: `${p}.self_attn.q_norm.weight`,
      kNorm: `${p}.self_attn.k_norm.weight`,
      postNorm: `${p}.post_attention_layernorm.weight`,
      gate: `${p}.mlp.gate_proj.weight_t`,
      up: `${p}.mlp.up_proj.weight_t`,
      down: `${p}.mlp.down_proj.weight_t`,
    };
  },
} as const;

export type DecoderLayerNames = ReturnType<typeof DECODER_NAMES.layer>;

/**
 * Scales that make an untrained decoder behave like a trained one where it matters for tests:
 * attention that prefers some positions over others (q/k norm gains above 1), and yes/no logits
 * that differ by a few units between texts instead of saturating (a final norm gain below 1).
 */
export const DECODER_INIT = {
  embedding: 1.0,
  normGainStd: 0.05,
  qkNormGain: 1.6,
  finalNormGain: 0.35,
  denseGain: 1.0,
  biasStd: 0.05,
} as const;


/**
 * Every learned weight of a forged decoder, by state_dict name. With `scoreRows` [negative,
 * positive] the model is a converted sequence classifier: its one-logit head is the LM head's
 * positive row less its negative row, as Qwen3-Reranker's seq-cls conversions are made, so its
 * logit is the causal model's logit(yes) - logit(no).
 */
export function generateDecoderWeights(preset: DecoderPreset, seed: number, scoreRows?: [number, number]): Map<string, FloatTensor> {
  const H = preset.hiddenSize;
  const I = preset.intermediateSize;
  const qWidth = preset.numAttentionHeads * preset.headDim;
  const kvWidth = preset.numKeyValueHeads * preset.headDim;
  const s = DECODER_INIT;
  const w = new Map<string, FloatTensor>();
  const add = (name: string, dims: number[], std: number, mean = 0): void => void w.set(name, normal(seed, name, dims, std, mean));
  const dense = (name: string, fanIn: number, fanOut: number): void => add(name, [fanIn, fanOut], s.denseGain / Math.sqrt(fanIn));

  add(DECODER_NAMES.embed, [preset.vocabSize, H], s.embedding);
  for (let i = 0; i < preset.numHiddenLayers; i++) {
    const n = DECODER_NAMES.layer(i);
    add(n.inputNorm, [H], s.normGainStd, 1);
    dense(n.q, H, qWidth);
    dense(n.k, H, kvWidth);
    dense(n.v, H, kvWidth);
    if (preset.family === 'qwen2') {
      add(n.qBias, [qWidth], s.biasStd);
      add(n.kBias, [kvWidth], s.biasStd);
      add(n.vBias, [kvWidth], s.biasStd);
    } else {
      add(n.qNorm, [preset.headDim], s.normGainStd, s.qkNormGain);
      add(n.kNorm, [preset.headDim], s.normGainStd, s.qkNormGain);
    }
    dense(n.o, qWidth, H);
    add(n.postNorm, [H], s.normGainStd, 1);
    dense(n.gate, H, I);
    dense(n.up, H, I);
    dense(n.down, I, H);
  }
  add(DECODER_NAMES.norm, [H], s.normGainStd, s.finalNormGain);
  if (!preset.tieWordEmbeddings) dense(DECODER_NAMES.lmHead, H, preset.vocabSize);
  if (scoreRows !== undefined) {
    const [negative, positive] = scoreRows;
    const head = (w.get(preset.tieWordEmbeddings ? DECODER_NAMES.embed : DECODER_NAMES.lmHead) as FloatTensor).data;
    const row = (r: number, h: number): number => (preset.tieWordEmbeddings ? head[r * H + h] : head[h * preset.vocabSize + r]) as number;
    w.set(DECODER_NAMES.score, { dims: [H, 1], data: Float32Array.from({ length: H }, (_, h) => row(positive, h) - row(negative, h)) });
  }
  return w;
}
