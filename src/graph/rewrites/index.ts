import { firstTokenHead } from './first-token-head.js';
import { scoreHead } from './score-head.js';
import { int8AttentionCore, multiHeadAttention, packedQkvAttention, qAttention } from './fused-attention.js';
import { biasGelu, fastGelu, skipLayerNorm } from './fused-elementwise.js';
import type { GraphRewrite } from './rewrite.js';

/**
 * Every rewrite `reranker optimize` knows. A model kind turns one on at load (its descriptor's
 * `rewrites`, models/kinds/) only where it measured faster: Intel Xeon (Sapphire Rapids family, AVX-512 VNNI and AMX), 2 cores,
 * onnxruntime-node 1.30, forged MiniLM-L6 cross-encoder, one thread, the benchmark's batches
 * (768 padded tokens), every variant run interleaved with the unrewritten graph, CPU time per pair
 * (`reranker optimize --measure` repeats it on any machine). Speed-up per precision, fp32 / int8:
 *
 * - first-token-head: 1.11x / 1.09x. On.
 * - skip-layer-norm: 0.91x / 0.82-0.86x. ONNX Runtime's SkipLayerNormalization kernel is slower
 *   than its LayerNormalization plus a separate Add here.
 * - multi-head-attention: 0.98x / 0.95-0.97x.
 * - qattention (int8): 0.96-0.98x. Its packed QKV GEMM does not beat three separate ones.
 * - packed-qkv-attention (int8): 0.94-0.96x.
 * - int8-attention-core (int8): see BENCHMARKS.md.
 * - bias-gelu (int8): 0.91x: the bias is cheaper inside the quantized GEMM's output pass.
 * - fast-gelu (int8): 1.00x, and it changes the function.
 */
export const REWRITES: readonly GraphRewrite[] = [
  {
    name: 'first-token-head',
    summary: "a cross-encoder's last layer after attention runs on the first token only, the one its classifier reads",
    stage: 'exported',
    precisions: ['fp32', 'int8'],
    apply: firstTokenHead,
  },
  {
    name: 'score-head',
    summary: "a decoder reranker's LM head computes the answer tokens' logits (score-head:<ids>) at the last real token only",
    stage: 'exported',
    precisions: ['fp32', 'int8'],
    apply: scoreHead,
  },
  { name: 'skip-layer-norm', summary: 'residual Add + LayerNormalization (and a bias Add) as SkipLayerNormalization', stage: 'fused', precisions: ['fp32', 'int8'], apply: skipLayerNorm },
  { name: 'multi-head-attention', summary: 'the attention core (head split, scores, mask, softmax, context, merge) as MultiHeadAttention', stage: 'exported', precisions: ['fp32', 'int8'], apply: multiHeadAttention },
  { name: 'qattention', summary: 'int8 Q/K/V projections and the attention core as one QAttention', stage: 'fused', precisions: ['int8'], apply: qAttention },
  { name: 'packed-qkv-attention', summary: 'int8 Q/K/V projections as one GEMM, then MultiHeadAttention', stage: 'fused', precisions: ['int8'], apply: packedQkvAttention },
  { name: 'int8-attention-core', summary: 'the attention core\'s Q x K^T and probabilities x V as int8 MatMulInteger', stage: 'fused', precisions: ['int8'], apply: int8AttentionCore },
  { name: 'bias-gelu', summary: 'int8: the feed-forward bias out of the quantized GEMM into BiasGelu', stage: 'fused', precisions: ['int8'], apply: biasGelu },
  { name: 'fast-gelu', summary: 'int8: erf GELU as the tanh approximation FastGelu', stage: 'fused', precisions: ['int8'], apply: fastGelu },
];

/** A rewrite by name; `name:args` names one with arguments (score-head:2152,9693), which `apply` receives. */
export function rewriteNamed(name: string): GraphRewrite {
  const base = name.split(':')[0];
  const r = REWRITES.find((x) => x.name === base);
  if (r === undefined) throw new Error(`unknown graph rewrite ${name} (known: ${REWRITES.map((x) => x.name).join(', ')})`);
  return r;
}
