import { InputNotScorableError, ModelRunFailedError } from '../errors.js';
import type { Slot } from './sequence-queue.js';
import type { BatchOutput } from './worker-pool.js';

/**
 * ONNX Runtime refused a batch (its session.run threw in the worker): not the worker's death nor a
 * hang, so the model's other batches may well run. Only this kind of failure is isolated.
 */
export class ModelRunError extends Error {
  override readonly name = 'ModelRunError';
}

export interface IsolationSteps<R> {
  /** Runs these slots as one batch. */
  run(slots: Slot<R>[]): Promise<BatchOutput>;
  /** Their rows arrived. */
  scored(slots: Slot<R>[], out: BatchOutput): void;
  /** These requests fail with this error. */
  failed(slots: Slot<R>[], err: unknown): void;
}

/** ONNX Runtime's message, first line and bounded: it names the operator and the values that failed. */
function runtimeMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').replace(/^inference failed in a worker: /, '').slice(0, 400);
}

/**
 * After a batch failed with a ModelRunError, its requests run again in halves (issue 23): a half
 * that runs gets its scores, a half that fails is split again, so one bad request among n costs
 * about 2·log2(n) re-runs and only it fails. A request that fails alone is the input's fault when the
 * model is seen to score (another half ran, or it scored before): 422 INPUT_NOT_SCORABLE; otherwise
 * 500 MODEL_RUN_FAILED. Any other failure of a re-run (a worker death, a timeout) fails that half as it is.
 * Answers how many batches it re-ran.
 */
export async function isolateBatch<R>(slots: readonly Slot<R>[], first: unknown, steps: IsolationSteps<R>, modelHasScored: boolean): Promise<number> {
  const byRequest = new Map<R, Slot<R>[]>();
  for (const s of slots) {
    const own = byRequest.get(s.request);
    if (own === undefined) byRequest.set(s.request, [s]);
    else own.push(s);
  }
  const groups = [...byRequest.values()];
  let reruns = 0;
  let scoredAny = modelHasScored;
  const alone: { slots: Slot<R>[]; err: unknown }[] = [];
  const split = async (part: Slot<R>[][], err: unknown): Promise<void> => {
    if (part.length === 1) {
      alone.push({ slots: part[0] as Slot<R>[], err });
      return;
    }
    const mid = part.length >> 1;
    for (const half of [part.slice(0, mid), part.slice(mid)]) {
      const flat = half.flat();
      reruns++;
      try {
        steps.scored(flat, await steps.run(flat));
        scoredAny = true;
      } catch (e) {
        if (e instanceof ModelRunError) await split(half, e);
        else steps.failed(flat, e);
      }
    }
  };
  await split(groups, first);
  for (const { slots: own, err } of alone) {
    const why = runtimeMessage(err);
    steps.failed(
      own,
      scoredAny
        ? new InputNotScorableError(`The model cannot score this request's input (ONNX Runtime: ${why}).`, err)
        : new ModelRunFailedError(`The model failed to run (ONNX Runtime: ${why}).`, err),
    );
  }
  return reruns;
}
