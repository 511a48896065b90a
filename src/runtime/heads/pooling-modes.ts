/**
 * sentence-transformers' Pooling module over the token embeddings of a padded batch, masked by the
 * attention mask (special tokens included, as sentence-transformers does). Several modes concatenate
 * in sentence-transformers' order: cls, max, mean, mean_sqrt_len, weightedmean, lasttoken.
 */
export type PoolingMode = 'cls' | 'max' | 'mean' | 'mean_sqrt_len' | 'weightedmean' | 'lasttoken';

export const POOLING_ORDER: readonly PoolingMode[] = ['cls', 'max', 'mean', 'mean_sqrt_len', 'weightedmean', 'lasttoken'];

export interface PoolingSettings {
  modes: PoolingMode[];
  /** A Normalize module follows: L2-normalise each vector. */
  normalize: boolean;
}

/**
 * `hidden` is [batch, seqLen, dim] row-major, `lengths[b]` the real tokens of row b (right-padded).
 * Returns [batch, dim * modes] row-major. Sums run in float64 so the result does not depend on the
 * padding of the batch it ran in.
 */
export function pool(hidden: Float32Array, batch: number, seqLen: number, dim: number, lengths: ArrayLike<number>, settings: PoolingSettings): Float32Array {
  const modes = POOLING_ORDER.filter((m) => settings.modes.includes(m));
  const width = dim * modes.length;
  const out = new Float32Array(batch * width);
  const acc = new Float64Array(dim);
  for (let b = 0; b < batch; b++) {
    const n = lengths[b] as number;
    const row = b * seqLen * dim;
    let at = b * width;
    for (const mode of modes) {
      switch (mode) {
        case 'cls':
          for (let d = 0; d < dim; d++) acc[d] = hidden[row + d] as number;
          break;
        case 'lasttoken':
          for (let d = 0; d < dim; d++) acc[d] = hidden[row + (n - 1) * dim + d] as number;
          break;
        case 'max':
          // Padding is set to -1e9 before the max in sentence-transformers; skipping it is the same.
          acc.fill(n > 0 ? -Infinity : -1e9);
          for (let t = 0; t < n; t++) for (let d = 0; d < dim; d++) acc[d] = Math.max(acc[d] as number, hidden[row + t * dim + d] as number);
          break;
        case 'weightedmean': {
          // Position weights 1..n over the real tokens.
          acc.fill(0);
          for (let t = 0; t < n; t++) for (let d = 0; d < dim; d++) (acc[d] as number) += (t + 1) * (hidden[row + t * dim + d] as number);
          const total = Math.max((n * (n + 1)) / 2, 1e-9);
          for (let d = 0; d < dim; d++) (acc[d] as number) /= total;
          break;
        }
        default: {
          acc.fill(0);
          for (let t = 0; t < n; t++) for (let d = 0; d < dim; d++) (acc[d] as number) += hidden[row + t * dim + d] as number;
          const divisor = mode === 'mean' ? Math.max(n, 1e-9) : Math.sqrt(n);
          for (let d = 0; d < dim; d++) (acc[d] as number) /= divisor;
        }
      }
      for (let d = 0; d < dim; d++) out[at + d] = acc[d] as number;
      at += dim;
    }
  }
  if (settings.normalize) normalizeRows(out, batch, width);
  return out;
}

/** L2-normalises each row in place, as torch.nn.functional.normalize does (eps 1e-12). */
export function normalizeRows(data: Float32Array, rows: number, width: number): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let i = r * width; i < (r + 1) * width; i++) sum += (data[i] as number) ** 2;
    const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
    for (let i = r * width; i < (r + 1) * width; i++) data[i] = (data[i] as number) * scale;
  }
}
