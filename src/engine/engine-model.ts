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
  /** Its `model` label on metrics. */
  label: ModelRole;
  encoder: EncoderRecipe;
  session: Omit<SessionSettings, 'threads'>;
  limits: BatchLimits;
  warmUp: EncodeJob;
}
