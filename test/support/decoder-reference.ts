import { readFileSync } from 'node:fs';
import { decodeModel, readFloatTensor, tensorDims } from '../../src/graph/onnx-proto.js';

/**
 * An independent reference for forged Qwen3 / Qwen2 causal LMs: a float64 forward pass written from
 * the architecture's definition (transformers' modeling_qwen3 / modeling_qwen2: RMSNorm, rotary
 * embeddings with rotate_half, grouped-query attention, SwiGLU, tied LM head), one sequence at a
 * time with no padding. It reads only the weights from the ONNX file, by their state_dict names;
 * the graph, the service's template and its heads share no code with it.
 */

export interface DecoderConfig {
  model_type: string;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim?: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  vocab_size: number;
}

type Weights = Map<string, { dims: number[]; data: Float32Array }>;

export class DecoderReference {
  private readonly w: Weights = new Map();
  private readonly headDim: number;

  constructor(
    onnxPath: string,
    private readonly config: DecoderConfig,
  ) {
    const model = decodeModel(readFileSync(onnxPath));
    for (const t of model.graph?.initializer ?? []) if (t.dataType === 1 && t.name) this.w.set(t.name, { dims: tensorDims(t), data: readFloatTensor(t) });
    this.headDim = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  }

  private get(name: string): { dims: number[]; data: Float32Array } {
    const t = this.w.get(name);
    if (t === undefined) throw new Error(`no weight ${name}`);
    return t;
  }

  private rms(x: Float64Array, weight: Float32Array): Float64Array {
    let sq = 0;
    for (const v of x) sq += v * v;
    const inv = 1 / Math.sqrt(sq / x.length + this.config.rms_norm_eps);
    return Float64Array.from(x, (v, i) => v * inv * (weight[i] as number));
  }

  /** y = x W for W stored [in, out] (the forge's `.weight_t`), plus an optional bias. */
  private linear(x: Float64Array, name: string, bias?: string): Float64Array {
    const { dims, data } = this.get(name);
    const [n, m] = dims as [number, number];
    const y = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      const xi = x[i] as number;
      if (xi === 0) continue;
      const row = i * m;
      for (let j = 0; j < m; j++) y[j] = (y[j] as number) + xi * (data[row + j] as number);
    }
    if (bias !== undefined) {
      const b = this.get(bias).data;
      for (let j = 0; j < m; j++) y[j] = (y[j] as number) + (b[j] as number);
    }
    return y;
  }

  private rope(x: Float64Array, offset: number, position: number): void {
    const d = this.headDim;
    const half = d / 2;
    for (let i = 0; i < half; i++) {
      const angle = position / this.config.rope_theta ** ((2 * i) / d);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const a = x[offset + i] as number;
      const b = x[offset + half + i] as number;
      x[offset + i] = a * c - b * s;
      x[offset + half + i] = b * c + a * s;
    }
  }

  /** The final hidden state (after the last norm) of every position of one unpadded sequence. */
  hidden(ids: readonly number[]): Float64Array[] {
    const c = this.config;
    const H = c.hidden_size;
    const d = this.headDim;
    const heads = c.num_attention_heads;
    const kvHeads = c.num_key_value_heads;
    const group = heads / kvHeads;
    const qwen2 = c.model_type === 'qwen2';
    const embed = this.get('model.embed_tokens.weight').data;
    let xs = ids.map((id) => Float64Array.from(embed.subarray(id * H, (id + 1) * H)));
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const p = `model.layers.${l}`;
      const qs: Float64Array[] = [];
      const ks: Float64Array[] = [];
      const vs: Float64Array[] = [];
      xs.forEach((x, pos) => {
        const h = this.rms(x, this.get(`${p}.input_layernorm.weight`).data);
        const q = this.linear(h, `${p}.self_attn.q_proj.weight_t`, qwen2 ? `${p}.self_attn.q_proj.bias` : undefined);
        const k = this.linear(h, `${p}.self_attn.k_proj.weight_t`, qwen2 ? `${p}.self_attn.k_proj.bias` : undefined);
        const v = this.linear(h, `${p}.self_attn.v_proj.weight_t`, qwen2 ? `${p}.self_attn.v_proj.bias` : undefined);
        for (const [t, n, norm] of [[q, heads, 'q_norm'], [k, kvHeads, 'k_norm']] as const) {
          for (let hd = 0; hd < n; hd++) {
            if (!qwen2) t.set(this.rms(t.subarray(hd * d, (hd + 1) * d), this.get(`${p}.self_attn.${norm}.weight`).data), hd * d);
            this.rope(t, hd * d, pos);
          }
        }
        qs.push(q);
        ks.push(k);
        vs.push(v);
      });
      xs = xs.map((x, i) => {
        const context = new Float64Array(heads * d);
        for (let hd = 0; hd < heads; hd++) {
          const kv = Math.floor(hd / group);
          const scores = Array.from({ length: i + 1 }, (_, j) => {
            let dot = 0;
            for (let e = 0; e < d; e++) dot += (qs[i]?.[hd * d + e] as number) * (ks[j]?.[kv * d + e] as number);
            return dot / Math.sqrt(d);
          });
          const max = Math.max(...scores);
          const exps = scores.map((s) => Math.exp(s - max));
          const sum = exps.reduce((a, b) => a + b, 0);
          for (let j = 0; j <= i; j++) for (let e = 0; e < d; e++) context[hd * d + e] = (context[hd * d + e] as number) + ((exps[j] as number) / sum) * (vs[j]?.[kv * d + e] as number);
        }
        const attended = Float64Array.from(this.linear(context, `${p}.self_attn.o_proj.weight_t`), (v, e) => v + (x[e] as number));
        const h = this.rms(attended, this.get(`${p}.post_attention_layernorm.weight`).data);
        const gate = this.linear(h, `${p}.mlp.gate_proj.weight_t`);
        const up = this.linear(h, `${p}.mlp.up_proj.weight_t`);
        const inner = Float64Array.from(gate, (g, e) => (g / (1 + Math.exp(-g))) * (up[e] as number));
        return Float64Array.from(this.linear(inner, `${p}.mlp.down_proj.weight_t`), (v, e) => v + (attended[e] as number));
      });
    }
    const norm = this.get('model.norm.weight').data;
    return xs.map((x) => this.rms(x, norm));
  }

  /** The LM head's logits of `rows` at the last position. */
  lastLogits(ids: readonly number[], rows: readonly number[]): number[] {
    const h = this.hidden(ids).at(-1) as Float64Array;
    const H = this.config.hidden_size;
    return rows.map((row) => {
      let dot = 0;
      if (this.config.tie_word_embeddings) {
        const e = this.get('model.embed_tokens.weight').data;
        for (let i = 0; i < H; i++) dot += (h[i] as number) * (e[row * H + i] as number);
      } else {
        const { data, dims } = this.get('lm_head.weight_t');
        const V = dims[1] as number;
        for (let i = 0; i < H; i++) dot += (h[i] as number) * (data[i * V + row] as number);
      }
      return dot;
    });
  }
}
