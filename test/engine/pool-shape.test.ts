import { describe, expect, it } from 'vitest';
import { poolShape } from '../../src/engine/pool-shape.js';

const open = { workers: undefined, threads: undefined };

describe('poolShape', () => {
  it('gives each core its own single-threaded worker', () => {
    expect(poolShape(open, 2)).toEqual({ workers: 2, threadsPerWorker: 1 });
    expect(poolShape(open, 1)).toEqual({ workers: 1, threadsPerWorker: 1 });
  });

  it('caps workers on big machines and spends the other cores on threads', () => {
    expect(poolShape(open, 32)).toEqual({ workers: 8, threadsPerWorker: 4 });
  });

  it('fills in whichever setting was left open', () => {
    expect(poolShape({ workers: 2, threads: undefined }, 8)).toEqual({ workers: 2, threadsPerWorker: 4 });
    expect(poolShape({ workers: undefined, threads: 2 }, 8)).toEqual({ workers: 4, threadsPerWorker: 2 });
    expect(poolShape({ workers: 3, threads: 3 }, 2)).toEqual({ workers: 3, threadsPerWorker: 3 });
  });
});
