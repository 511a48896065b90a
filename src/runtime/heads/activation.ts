/**
 * Every model is reduced to one raw score per pair whose sigmoid is the relevance probability.
 * One logit: the logit itself. Several: the log-odds of the relevant label against the rest, since
 * softmax(l)[r] = sigmoid(l_r - log(sum_{j != r} exp(l_j))). One number per pair keeps the cache simple.
 */
export function rawScore(logits: Float32Array, row: number, numLabels: number, relevant: number): number {
  const base = row * numLabels;
  const lr = logits[base + relevant] as number;
  if (numLabels === 1) return lr;
  let max = -Infinity;
  for (let j = 0; j < numLabels; j++) if (j !== relevant) max = Math.max(max, logits[base + j] as number);
  let sum = 0;
  for (let j = 0; j < numLabels; j++) if (j !== relevant) sum += Math.exp((logits[base + j] as number) - max);
  return lr - (max + Math.log(sum));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
