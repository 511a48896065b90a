import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { CrossEncoderSpec } from '../models/cross-encoder.js';
import { BatchingScorer } from './batching-scorer.js';
import { poolShape } from './pool-shape.js';
import { WorkerPool } from './worker-pool.js';

export interface PoolScorer {
  scorer: BatchingScorer;
  pool: WorkerPool;
}

/**
 * The server's scorer: a worker pool behind the dynamic batcher. Every worker runs one pair before
 * this resolves, so a broken model fails start-up and no request pays a worker's first-run set-up.
 */
export async function createPoolScorer(spec: CrossEncoderSpec, config: Config, metrics: Metrics): Promise<PoolScorer> {
  const shape = poolShape({ workers: config.engine.workers, threads: config.threads });
  const pool = new WorkerPool({
    session: {
      onnxPath: spec.folder.onnxPath,
      numLabels: spec.folder.numLabels,
      relevantLabel: spec.folder.relevantLabel,
      padId: spec.tokenizer.padId,
      threads: shape.threadsPerWorker,
    },
    workers: shape.workers,
    workerTimeoutMs: config.engine.workerTimeoutMs,
    metrics,
  });
  try {
    const pair = spec.encoder.encodePair(spec.encoder.encodeQuery('warm up'), 'warm up the session', { direction: 'right', truncate: true });
    // The pool runs at most one batch per worker, and piscina gives each to an idle one.
    await Promise.all(Array.from({ length: pool.capacity }, () => pool.run([pair])));
  } catch (err) {
    await pool.close();
    throw err;
  }
  const scorer = new BatchingScorer(pool, { maxBatchSize: config.maxBatchSize, maxBatchTokens: config.maxBatchTokens, batchWaitMs: config.engine.batchWaitMs, maxQueuePairs: config.engine.maxQueuePairs, maxQueueMs: config.engine.maxQueueMs }, metrics);
  return { scorer, pool };
}
