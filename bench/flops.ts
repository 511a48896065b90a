/** The architecture numbers FLOP counting needs, read from config.json. */
export interface Architecture {
  layers: number;
  hidden: number;
  intermediate: number;
}

export function architectureOf(config: Record<string, unknown>): Architecture {
  const num = (key: string): number => {
    const v = config[key];
    if (typeof v !== 'number') throw new Error(`config.json has no numeric ${key}`);
    return v;
  };
  return { layers: num('num_hidden_layers'), hidden: num('hidden_size'), intermediate: num('intermediate_size') };
}

/**
 * Multiply-adds (x2) of one padded batch of `rows` sequences of `seqLen` tokens: per layer the
 * four HxH projections and the two HxI feed-forward matrices per token, plus QK^T and
 * attention x V (2 * 2 * S^2 * H per sequence). Embeddings, LayerNorm, softmax and the head are
 * a rounding error next to these. With `firstTokenHead` (the graph rewrite the service applies to
 * cross-encoders) the last layer computes its output projection and feed-forward for one token
 * per sequence: only the work actually done is counted, or the achieved rate would be inflated.
 */
export function batchFlops(arch: Architecture, rows: number, seqLen: number, opts: { firstTokenHead?: boolean } = {}): number {
  const { layers, hidden: H, intermediate: I } = arch;
  const tokens = rows * seqLen;
  const attentionCore = rows * 4 * seqLen * seqLen * H;
  const layer = 2 * tokens * (4 * H * H + 2 * H * I) + attentionCore;
  if (opts.firstTokenHead !== true || layers === 0) return layers * layer;
  const lastLayer = 2 * tokens * 3 * H * H + attentionCore + 2 * rows * (H * H + 2 * H * I);
  return (layers - 1) * layer + lastLayer;
}
