import type { EncodedSequence } from '../../text/sequence.js';
import type { Head, HeadOutput, OutputInfo } from './head.js';

/**
 * A decoder reranker's head: the next-token logits of two answer tokens at each sequence's last
 * real token, as raw = logit(positive) - logit(negative), whose sigmoid is the model card's
 * softmax over the two (P(yes) for Qwen3-Reranker). It reads whichever form the graph gives:
 * [batch, 2] after the score-head rewrite (the answers' columns, negative first), [batch, vocab]
 * when only the last token was kept, or the export's full [batch, sequence, vocab] (right-padded
 * batches, so the last real token is at length - 1).
 */
export interface TokenLogitsSettings {
  kind: 'token-logits';
  /** Vocabulary ids of the answer tokens: [negative, positive]. */
  answers: [number, number];
}

export function tokenLogitsHead(settings: TokenLogitsSettings): Head {
  const [negative, positive] = settings.answers;
  return {
    outputNames: ['logits'],
    chooseOutput: (outputs: readonly OutputInfo[]) => outputs.find((o) => o.name === 'logits'),
    missingOutputFix: 'Export the model for text generation (optimum-cli export onnx --task text-generation-with-past), whose output is named logits.',
    read(data: Float32Array, dims: readonly number[], sequences: readonly EncodedSequence[]): HeadOutput {
      const batch = sequences.length;
      const scores = new Float32Array(batch);
      if (dims.length === 2 && dims[0] === batch && dims[1] === 2) {
        for (let i = 0; i < batch; i++) scores[i] = (data[2 * i + 1] as number) - (data[2 * i] as number);
      } else if (dims.length === 2 && dims[0] === batch) {
        const vocab = dims[1] as number;
        for (let i = 0; i < batch; i++) scores[i] = (data[i * vocab + positive] as number) - (data[i * vocab + negative] as number);
      } else if (dims.length === 3 && dims[0] === batch) {
        const [, seq, vocab] = dims as [number, number, number];
        sequences.forEach((s, i) => {
          const base = (i * seq + s.ids.length - 1) * vocab;
          scores[i] = (data[base + positive] as number) - (data[base + negative] as number);
        });
      } else {
        throw new Error(`model returned logits of shape [${dims.join(', ')}] for ${batch} sequences; expected [batch, 2], [batch, vocab] or [batch, sequence, vocab]`);
      }
      return { data: scores, width: 1 };
    },
  };
}
