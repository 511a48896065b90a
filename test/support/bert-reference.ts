/**
 * Independent float64 forward pass of BertForSequenceClassification (and of
 * XLMRobertaForSequenceClassification when config.json's model_type is
 * xlm-roberta), used as the ground truth for forged ONNX models.
 *
 * It reads the weights back from the written ONNX file's initializers (by the
 * names in src/forge/weight-names.ts) and the shapes from config.json, so it
 * checks the graph wiring, not just the weight generator.
 *
 *   const ref = await loadReference(dir);            // dir = forged model folder
 *   // or loadReference(dir, onnxFile) with onnxFile absolute or relative to dir
 *   ref.logits({ inputIds, attentionMask, tokenTypeIds }); // number[batch][numLabels]
 *
 * Inputs are padded rectangular number[][] batches; tokenTypeIds may be
 * omitted (all zeros, which is also what a graph without that input does).
 * Padded positions are masked with the same additive constant as the graph.
 * XLM-R counts positions as transformers' create_position_ids_from_input_ids
 * does: from pad_token_id + 1 over the non-padding ids, padding at pad_token_id.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ATTENTION_MASK_FILL } from '../../src/tools/forge/bert-graph.js';
import { decodeModel, readFloatTensor } from '../../src/graph/onnx-proto.js';
import { familyWeightNames } from '../../src/tools/forge/weight-names.js';

export interface ReferenceBatch {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds?: number[][];
}

export interface ReferenceModel {
  hiddenSize: number;
  /** 0 for an embedder (no classifier head). */
  numLabels: number;
  /** True when the ONNX graph declares a token_type_ids input. */
  hasTokenTypeIds: boolean;
  logits(batch: ReferenceBatch): number[][];
  /** The encoder's last hidden states of each sequence, [tokens][hidden], padding rows included. */
  hidden(batch: ReferenceBatch): number[][][];
}

interface BertConfig {
  model_type?: string;
  pad_token_id?: number;
  hidden_size: number;
  num_attention_heads: number;
  num_hidden_layers: number;
  layer_norm_eps: number;
}

/** erf to ~1e-15: exp(-x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)) has only positive terms, so no cancellation. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 500 && term > 1e-17 * sum; n++) {
    term *= (2 * ax * ax) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum);
}

/** rows × in (float64) times in × out (float32) plus bias. */
function dense(x: Float64Array, rows: number, w: Float32Array, b: Float32Array, inDim: number, outDim: number): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    const yo = r * outDim;
    for (let o = 0; o < outDim; o++) y[yo + o] = b[o]!;
    for (let i = 0; i < inDim; i++) {
      const xv = x[r * inDim + i]!;
      const wo = i * outDim;
      for (let o = 0; o < outDim; o++) y[yo + o]! += xv * w[wo + o]!;
    }
  }
  return y;
}

function layerNorm(x: Float64Array, rows: number, dim: number, g: Float32Array, b: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[o + i]!;
    mean /= dim;
    let variance = 0;
    for (let i = 0; i < dim; i++) variance += (x[o + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / dim + eps);
    for (let i = 0; i < dim; i++) y[o + i] = (x[o + i]! - mean) * inv * g[i]! + b[i]!;
  }
  return y;
}

function addInPlace(a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
  return a;
}

export async function loadReference(dir: string, onnxFile = path.join(dir, 'onnx', 'model.onnx')): Promise<ReferenceModel> {
  const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as BertConfig;
  const model = decodeModel(await readFile(path.resolve(dir, onnxFile)));
  const tensors = new Map<string, Float32Array>();
  for (const init of model.graph?.initializer ?? []) {
    if (init.name && init.dataType === 1) tensors.set(init.name, readFloatTensor(init));
  }
  const w = (name: string): Float32Array => {
    const t = tensors.get(name);
    if (!t) throw new Error(`initializer ${name} missing from ${onnxFile}`);
    return t;
  };
  const roberta = config.model_type === 'xlm-roberta';
  const { embeddings: EMBEDDINGS, head: HEAD, layer: layerWeightNames } = familyWeightNames(roberta ? 'xlm-roberta' : 'bert');
  const pad = config.pad_token_id ?? 1;
  const positionsOf = (ids: number[]): number[] => {
    if (!roberta) return ids.map((_, s) => s);
    let seen = 0;
    return ids.map((id) => (id === pad ? pad : pad + ++seen));
  };
  const H = config.hidden_size;
  const heads = config.num_attention_heads;
  const d = H / heads;
  const eps = config.layer_norm_eps;
  const intermediate = w(layerWeightNames(0).intermediateBias).length;
  const numLabels = tensors.get(HEAD.classifierBias)?.length ?? 0;
  const hasTokenTypeIds = (model.graph?.input ?? []).some((i) => i.name === 'token_type_ids');

  const encode = (ids: number[], mask: number[], types: number[]): Float64Array => {
    const S = ids.length;
    let x: Float64Array = new Float64Array(S * H);
    const word = w(EMBEDDINGS.word);
    const pos = w(EMBEDDINGS.position);
    const type = w(EMBEDDINGS.tokenType);
    const positions = positionsOf(ids);
    for (let s = 0; s < S; s++) {
      const id = ids[s]!;
      const tt = types[s] ?? 0;
      const p = positions[s]!;
      for (let h = 0; h < H; h++) x[s * H + h] = word[id * H + h]! + type[tt * H + h]! + pos[p * H + h]!;
    }
    x = layerNorm(x, S, H, w(EMBEDDINGS.layerNormWeight), w(EMBEDDINGS.layerNormBias), eps);
    const maskBias = mask.map((m) => (1 - m) * ATTENTION_MASK_FILL);

    for (let layer = 0; layer < config.num_hidden_layers; layer++) {
      const n = layerWeightNames(layer);
      const q = dense(x, S, w(n.queryWeight), w(n.queryBias), H, H);
      const k = dense(x, S, w(n.keyWeight), w(n.keyBias), H, H);
      const v = dense(x, S, w(n.valueWeight), w(n.valueBias), H, H);
      const context = new Float64Array(S * H);
      const scores = new Float64Array(S);
      for (let head = 0; head < heads; head++) {
        const off = head * d;
        for (let i = 0; i < S; i++) {
          let max = -Infinity;
          for (let j = 0; j < S; j++) {
            let dot = 0;
            for (let e = 0; e < d; e++) dot += q[i * H + off + e]! * k[j * H + off + e]!;
            scores[j] = dot / Math.sqrt(d) + maskBias[j]!;
            max = Math.max(max, scores[j]!);
          }
          let total = 0;
          for (let j = 0; j < S; j++) total += scores[j] = Math.exp(scores[j]! - max);
          for (let j = 0; j < S; j++) {
            const p = scores[j]! / total;
            for (let e = 0; e < d; e++) context[i * H + off + e]! += p * v[j * H + off + e]!;
          }
        }
      }
      const attnOut = addInPlace(dense(context, S, w(n.attentionOutputWeight), w(n.attentionOutputBias), H, H), x);
      x = layerNorm(attnOut, S, H, w(n.attentionLayerNormWeight), w(n.attentionLayerNormBias), eps);
      const inner = dense(x, S, w(n.intermediateWeight), w(n.intermediateBias), H, intermediate);
      for (let i = 0; i < inner.length; i++) inner[i] = 0.5 * inner[i]! * (1 + erf(inner[i]! / Math.SQRT2));
      const ffnOut = addInPlace(dense(inner, S, w(n.outputWeight), w(n.outputBias), intermediate, H), x);
      x = layerNorm(ffnOut, S, H, w(n.outputLayerNormWeight), w(n.outputLayerNormBias), eps);
    }
    return x;
  };

  const forward = (ids: number[], mask: number[], types: number[]): number[] => {
    const x = encode(ids, mask, types);
    const pooled = dense(x.subarray(0, H), 1, w(HEAD.poolerWeight), w(HEAD.poolerBias), H, H).map(Math.tanh);
    return Array.from(dense(pooled, 1, w(HEAD.classifierWeight), w(HEAD.classifierBias), H, numLabels));
  };

  return {
    hiddenSize: H,
    numLabels,
    hasTokenTypeIds,
    logits(batch) {
      return batch.inputIds.map((ids, b) => {
        const mask = batch.attentionMask[b];
        if (!mask || mask.length !== ids.length) throw new Error(`attention mask row ${b} does not match input ids`);
        return forward(ids, mask, batch.tokenTypeIds?.[b] ?? []);
      });
    },
    hidden(batch) {
      return batch.inputIds.map((ids, b) => {
        const mask = batch.attentionMask[b];
        if (!mask || mask.length !== ids.length) throw new Error(`attention mask row ${b} does not match input ids`);
        const x = encode(ids, mask, batch.tokenTypeIds?.[b] ?? []);
        return Array.from({ length: ids.length }, (_, t) => Array.from(x.subarray(t * H, (t + 1) * H)));
      });
    },
  };
}
