import type { CrossEncoderSession } from '../runtime/onnx-session.js';
import type { EncodedPair } from '../text/pair-encoder.js';
import { planBatches, type BatchLimits } from './batch-plan.js';
import type { ScoreResult, Scorer } from './scorer.js';

/**
 * Runs the session on the calling thread, one length-sorted batch at a time. It blocks the event
 * loop during inference, so the server uses the worker pool (pool-scorer.ts); this one serves
 * tests as the reference, the benchmark's in-process contender and `--workers 0` for debugging.
 */
export class LocalScorer implements Scorer {
  constructor(
    private readonly session: CrossEncoderSession,
    private readonly limits: BatchLimits,
  ) {}

  /** Runs whatever it is given; there is no queue to fill. */
  admit(): void {}

  async score(pairs: readonly EncodedPair[], signal?: AbortSignal): Promise<ScoreResult> {
    const started = performance.now();
    const scores = new Float32Array(pairs.length);
    const batches = planBatches(
      pairs.map((p) => p.ids.length),
      this.limits,
    );
    for (const batch of batches) {
      signal?.throwIfAborted();
      const out = await this.session.run(batch.map((i) => pairs[i] as EncodedPair));
      batch.forEach((pairIndex, row) => {
        scores[pairIndex] = out[row] as number;
      });
    }
    return { scores, queueSeconds: 0, inferenceSeconds: (performance.now() - started) / 1000 };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
