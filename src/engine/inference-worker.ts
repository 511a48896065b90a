import { workerData } from 'node:worker_threads';
import { CrossEncoderSession } from '../runtime/onnx-session.js';
import { unpackBatch } from './packed-batch.js';
import { WORKER_STATE, type ScoreReply, type ScoreTask, type TestFault, type WorkerInit } from './worker-messages.js';

/*
 * Entry of one inference worker thread (loaded by piscina from dist/). Each worker owns its own
 * session, so batches on different workers never contend for one session's lock.
 */

const init = workerData as WorkerInit;
const state = new Int32Array(init.state, 0, WORKER_STATE.bytes / 4);
const startedAt = new Float64Array(init.state, WORKER_STATE.bytes, 1);

// Started at load rather than on the first batch so a replacement worker is warm sooner; failures
// are reported per batch instead of crashing the thread, which piscina would respawn in a loop.
Atomics.store(state, WORKER_STATE.inNative, 1);
const sessionReady: Promise<CrossEncoderSession | Error> = CrossEncoderSession.create(init.session)
  .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))
  .finally(() => Atomics.store(state, WORKER_STATE.inNative, 0));

function injectFault(fault: TestFault): never {
  if (fault === 'exit') process.exit(1);
  // A spin in JavaScript stands in for a stuck run; unlike native code, terminate() can stop it.
  for (;;);
}

export default async function scoreBatch(task: ScoreTask): Promise<ScoreReply> {
  const session = await sessionReady;
  startedAt[0] = Date.now();
  Atomics.add(state, WORKER_STATE.started, 1);
  if (task.testFault !== undefined) injectFault(task.testFault);
  if (session instanceof Error) return { ok: false, message: session.message };
  Atomics.store(state, WORKER_STATE.inNative, 1);
  try {
    const started = performance.now();
    const scores = await session.run(unpackBatch(task.batch));
    return { ok: true, scores, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  } finally {
    Atomics.store(state, WORKER_STATE.inNative, 0);
  }
}
