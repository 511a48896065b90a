import { workerData } from 'node:worker_threads';
import { ModelOutputInvalidError } from '../errors.js';
import { ModelSession } from '../runtime/onnx-session.js';
import { unpackBatch } from './packed-batch.js';
import { WORKER_STATE, type InferenceReply, type InferenceTask, type WorkerInit } from './worker-messages.js';
import { lowerThisThreadPriority } from './thread-priority.js';

/*
 * Entry of one inference worker thread (loaded by piscina from dist/). Each worker owns one session
 * per model of its lane, so batches on different workers never contend for one session's lock.
 */

const init = workerData as WorkerInit;
// Before the sessions: ONNX Runtime's intra-op threads inherit the nice of the thread that starts them.
lowerThisThreadPriority(init.nice);
const state = new Int32Array(init.state, 0, WORKER_STATE.bytes / 4);
const startedAt = new Float64Array(init.state, WORKER_STATE.bytes, 1);

// Started at load rather than on the first batch so a replacement worker is warm sooner; failures
// are reported per batch instead of crashing the thread, which piscina would respawn in a loop.
Atomics.store(state, WORKER_STATE.inNative, 1);
const sessionsReady: Promise<(ModelSession | undefined)[] | Error> = (async () => {
  const sessions: (ModelSession | undefined)[] = [];
  for (const settings of init.models) sessions.push(settings === null ? undefined : await ModelSession.create(settings));
  return sessions;
})()
  .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))
  .finally(() => Atomics.store(state, WORKER_STATE.inNative, 0));

export default async function runBatch(task: InferenceTask): Promise<InferenceReply> {
  const sessions = await sessionsReady;
  startedAt[0] = Date.now();
  Atomics.add(state, WORKER_STATE.started, 1);
  if (sessions instanceof Error) return { ok: false, message: sessions.message };
  const session = sessions[task.model];
  if (session === undefined) return { ok: false, message: `no session for model ${task.model} in this worker` };
  Atomics.store(state, WORKER_STATE.inNative, 1);
  try {
    const started = performance.now();
    const out = await session.run(unpackBatch(task.batch));
    return { ok: true, output: out.data, width: out.width, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err), invalid: err instanceof ModelOutputInvalidError };
  } finally {
    Atomics.store(state, WORKER_STATE.inNative, 0);
  }
}
