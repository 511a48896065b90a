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
 * a rounding error next to these.
 */
export function batchFlops(arch: Architecture, rows: number, seqLen: number): number {
  const { layers, hidden: H, intermediate: I } = arch;
  const tokens = rows * seqLen;
  return layers * (2 * tokens * (4 * H * H + 2 * H * I) + rows * 4 * seqLen * seqLen * H);
}
