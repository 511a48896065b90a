import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineSettings, loadModels } from '../../src/compose.js';
import { buildConfig } from '../../src/config.js';
import { createPoolEngine } from '../../src/engine/create-engine.js';
import type { EngineModel } from '../../src/engine/engine.js';
import { Metrics } from '../../src/metrics.js';
import { makeJob } from './pool-fixture.js';
import { describe, expect, it } from 'vitest';
import { COMPUTE_THREAD_NICE } from '../../src/engine/thread-priority.js';
import { INTERACTIVE_NICE, workerLanes } from '../../src/engine/worker-lanes.js';
import { forgedDecoder, forgedModel } from '../support/forged-model.js';
import { testApp } from '../support/test-app.js';

/** Issue 21: beside a decoder, the other models get workers of their own at a higher thread priority. */

/** How many of this process's threads run at each nice value (Linux: /proc/self/task/<tid>/stat, field 19). */
function threadsByNice(): Map<number, number> {
  const counts = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // The thread ended while we read.
    }
    // The command name may hold spaces and parentheses; the fields after its last ')' start at field 3.
    const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    counts.set(nice, (counts.get(nice) ?? 0) + 1);
  }
  return counts;
}

const HELD_WORKER = fileURLToPath(new URL('./fixtures/held-worker.mjs', import.meta.url));

describe('worker lanes', () => {
  it('split the models only when a long-batch model sits beside others', () => {
    const ce = { longBatches: false };
    const llm = { longBatches: true };
    expect(workerLanes([ce, ce], 2)).toEqual([{ models: [0, 1], workers: 2, nice: COMPUTE_THREAD_NICE }]);
    expect(workerLanes([llm], 2)).toEqual([{ models: [0], workers: 2, nice: COMPUTE_THREAD_NICE }]);
    expect(workerLanes([ce, llm, ce], 2)).toEqual([
      { models: [0, 2], workers: 2, nice: INTERACTIVE_NICE },
      { models: [1], workers: 2, nice: COMPUTE_THREAD_NICE },
    ]);
  });

  it('run a cross-encoder beside a decoder on threads of its own priority', async () => {
    const [ce, qwen] = [await forgedModel({ seed: 7 }), await forgedDecoder()];
    // Without a decoder, one lane at the compute nice: nothing runs at the interactive one. (This app
    // also starts ONNX Runtime's own process-wide thread, which takes the nice of the worker that
    // starts it; afterwards only the service's threads come and go.)
    const alone = await testApp({ model: ce, workers: '1', threads: '1', tokenizerThreads: '1' });
    try {
      expect(threadsByNice().get(INTERACTIVE_NICE) ?? 0).toBe(0);
    } finally {
      await alone.close();
    }

    const t = await testApp({ model: `${ce},${qwen}`, servedModelName: 'ce,qwen', workers: '1', threads: '1', tokenizerThreads: '1', cacheMaxBytes: '0' });
    try {
      // One cross-encoder worker and the tokenizer thread run at the interactive nice; the decoder's worker does not.
      expect(threadsByNice().get(INTERACTIVE_NICE) ?? 0).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('answer the cross-encoder while every decoder worker is inside a batch', async () => {
    const [ce, qwen] = [await forgedModel({ seed: 7 }), await forgedDecoder()];
    const config = buildConfig({ model: `${ce},${qwen}`, servedModelName: 'ce,qwen', embeddingModel: 'none', workers: '1', threads: '1', batchWaitMs: '0' });
    const models = loadModels(config, { reranker: true }).registry.engineModels;
    const decoder = models.findIndex((m) => m.longBatches);
    expect(decoder).toBeGreaterThan(0);
    // Workers copy the environment when they start.
    const hold = join(mkdtempSync(join(tmpdir(), 'held-')), 'hold');
    process.env['RERANKER_TEST_HOLD_FILE'] = hold;
    const { engine } = await createPoolEngine(models, engineSettings(config), new Metrics(undefined, { defaultMetrics: false }), { workerScript: HELD_WORKER });
    try {
      // The decoder's only worker takes a batch and stays inside it until the file goes.
      writeFileSync(hold, String(decoder));
      let llmDone = false;
      const llm = engine.run((models[decoder] as EngineModel).id, makeJob(2, 1)).then(() => (llmDone = true));
      const crossEncoder = await engine.run((models[0] as EngineModel).id, makeJob(4, 2));
      expect(crossEncoder.output.length).toBe(4);
      expect(llmDone).toBe(false);
      rmSync(hold);
      await llm;
      expect(llmDone).toBe(true);
    } finally {
      rmSync(hold, { force: true });
      await engine.close();
    }
  });
});
