import { describe, expect, it } from 'vitest';
import { theoreticalPeak } from '../../bench/machine.js';
import { renderMarkdown } from '../../bench/markdown.js';
import { ceilingOf, measureCeiling, mergeCeilings, type GemmTrial } from '../../bench/roofline.js';
import type { RunResult } from '../../bench/stats.js';

const trial = (precision: GemmTrial['precision'], layout: GemmTrial['layout'], opsPerSecond: number, label = 'square 64'): GemmTrial => ({ precision, layout, opsPerSecond, label, shape: { m: 64, k: 64, n: 64 } });

describe('the measured ceiling', () => {
  it('is at least every all-core trial of its precision, and the one-core figure at least every one-core trial', () => {
    const trials = [trial('fp32', 'one core', 90), trial('fp32', 'a session per core', 170), trial('fp32', 'one session, all cores', 150), trial('int8', 'one core', 400), trial('int8', 'a session per core', 700)];
    const c = ceilingOf(trials);
    expect(c.best.fp32.opsPerSecond).toBe(170);
    expect(c.best.int8.opsPerSecond).toBe(700);
    expect(c.bestOneCore.fp32.opsPerSecond).toBe(90);
    for (const t of trials.filter((x) => x.layout !== 'one core')) expect(c.best[t.precision].opsPerSecond).toBeGreaterThanOrEqual(t.opsPerSecond);
  });

  it('keeps the better of two sweeps per shape and layout', () => {
    const a = ceilingOf([trial('fp32', 'one core', 90), trial('fp32', 'a session per core', 150), trial('int8', 'one core', 400), trial('int8', 'a session per core', 600)]);
    const b = ceilingOf([trial('fp32', 'one core', 80), trial('fp32', 'a session per core', 175), trial('int8', 'one core', 450), trial('int8', 'a session per core', 500)]);
    const m = mergeCeilings(a, b);
    expect([m.best.fp32.opsPerSecond, m.best.int8.opsPerSecond, m.bestOneCore.fp32.opsPerSecond, m.bestOneCore.int8.opsPerSecond]).toEqual([175, 600, 90, 450]);
  });

  it('comes from real ONNX Runtime GEMMs over the model shapes and squares, every layout', async () => {
    const c = await measureCeiling({ layers: 1, hidden: 32, intermediate: 64 }, { quick: true });
    expect(new Set(c.trials.map((t) => t.layout)).size).toBeGreaterThanOrEqual(1);
    for (const t of c.trials) expect(t.opsPerSecond).toBeGreaterThan(0);
    for (const p of ['fp32', 'int8'] as const) {
      for (const t of c.trials.filter((x) => x.precision === p && x.layout !== 'one core')) expect(c.best[p].opsPerSecond).toBeGreaterThanOrEqual(t.opsPerSecond);
    }
  }, 240_000);
});

describe('the theoretical peak', () => {
  it('states its assumptions and is above zero', () => {
    const p = theoreticalPeak();
    expect(p.fp32FlopsPerSecond).toBeGreaterThan(0);
    expect(p.int8OpsPerSecond).toBeGreaterThan(0);
    expect(p.assumptions).toMatch(/cores x \d+-bit vectors .* FMA ports \(assumed\) x [\d.]+ GHz/);
  });
});

describe('the report', () => {
  const run = (dtype: RunResult['dtype'], flops: number): RunResult => ({ contender: 'this service over HTTP, concurrency 8', dtype, pairs: 100, seconds: 1, latencies: [1], realTokens: 100, computedTokens: 100, flops });
  const report = (fp32Flops: number) =>
    renderMarkdown({
      date: 'now',
      machine: 'm',
      command: 'c',
      modelDir: 'd',
      architecture: 'a',
      workload: 'w',
      roofline: { ceiling: ceilingOf([trial('fp32', 'a session per core', 200e9), trial('fp32', 'one core', 100e9), trial('int8', 'a session per core', 800e9), trial('int8', 'one core', 400e9)]), peak: { fp32FlopsPerSecond: 400e9, int8OpsPerSecond: 8000e9, assumptions: 'x' } },
      runs: [{ fp32: run('fp32', fp32Flops), int8: run('int8', 400e9) }],
      accuracy: undefined,
    });

  it('reads each achieved rate against the ceiling and the peak of its precision', () => {
    expect(report(150e9)).toContain('| 150.0 (75% / 38%) | 400.0 (50% / 5%) |');
  });

  it('never passes a figure above the ceiling off as a fraction of it', () => {
    expect(report(250e9)).toContain('250.0 (125% / 63%) (above the ceiling: it was timed on a busier machine; rerun)');
  });
});
