import { describe, expect, it } from 'vitest';
import { availableMemory, poolShape, WORKER_MEMORY_SHARE } from '../../src/engine/pool-shape.js';

const open = { workers: undefined, threads: undefined };
const GiB = 2 ** 30;

describe('poolShape', () => {
  it('gives each core its own single-threaded worker', () => {
    expect(poolShape(open, 2)).toEqual({ workers: 2, threadsPerWorker: 1 });
    expect(poolShape(open, 1)).toEqual({ workers: 1, threadsPerWorker: 1 });
  });

  it('has no fixed cap on workers: 16 or 32 cores get 16 or 32 workers when memory allows', () => {
    expect(poolShape(open, 16)).toEqual({ workers: 16, threadsPerWorker: 1 });
    expect(poolShape(open, 32, { perWorkerBytes: 0.2 * GiB, availableBytes: 64 * GiB })).toEqual({ workers: 32, threadsPerWorker: 1 });
  });

  it('caps workers by memory and spends the other cores on threads', () => {
    // 2.2 GB per worker (a large reranker) in 24 GiB: half of it holds 5 workers.
    const memory = { perWorkerBytes: 2.2e9, availableBytes: 24 * GiB };
    expect(Math.floor((memory.availableBytes * WORKER_MEMORY_SHARE) / memory.perWorkerBytes)).toBe(5);
    expect(poolShape(open, 32, memory)).toEqual({ workers: 5, threadsPerWorker: 6 });
    // Never below one worker, however large the model.
    expect(poolShape(open, 8, { perWorkerBytes: 100 * GiB, availableBytes: 16 * GiB })).toEqual({ workers: 1, threadsPerWorker: 8 });
  });

  it('fills in whichever setting was left open, memory or not', () => {
    const tight = { perWorkerBytes: 100 * GiB, availableBytes: GiB };
    expect(poolShape({ workers: 2, threads: undefined }, 8, tight)).toEqual({ workers: 2, threadsPerWorker: 4 });
    expect(poolShape({ workers: undefined, threads: 2 }, 8, tight)).toEqual({ workers: 4, threadsPerWorker: 2 });
    expect(poolShape({ workers: 3, threads: 3 }, 2)).toEqual({ workers: 3, threadsPerWorker: 3 });
  });

  it('reads the memory it may use from the machine or its container', () => {
    expect(availableMemory()).toBeGreaterThan(0);
  });
});
