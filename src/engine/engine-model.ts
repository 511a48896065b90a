import type { GraphPrecision } from '../graph/precision.js';
import type { ModelRole } from '../metrics.js';
import type { SessionSettings } from '../runtime/onnx-session.js';
import type { EncodeJob } from '../text/encode-job.js';
import type { EncoderRecipe } from '../text/encoders.js';
import type { BatchLimits } from './batch-plan.js';

/**
 * One model as the engine runs it, whatever its kind: how its texts become ids (in the tokenizer
 * threads), how its session is built and read (in the inference workers), how it batches, and the
 * job that warms it up. The model registry (models/registry.ts) builds it from the kind's descriptor.
 */
export interface EngineModel {
  /** The handle pipelines run it by; unique among the engine's models. */
  id: string;
  /** What it does: which counter its sequences count on (pairs scored, texts embedded). */
  role: ModelRole;
  /** Its `model` label on metrics: its role for the default model of that role, else its served name. */
  label: string;
  encoder: EncoderRecipe;
  session: Omit<SessionSettings, 'threads'>;
  limits: BatchLimits;
  warmUp: EncodeJob;
  /** Its batches hold a worker for seconds (a decoder LLM): see the kind's longBatches. */
  longBatches: boolean;
  /** What its graph computes in (the memory advice offers int8 for the fp32 ones). */
  precision: GraphPrecision;
  /** Estimated memory of its session in one worker (models/registry.ts). */
  memoryBytes: number;
}
