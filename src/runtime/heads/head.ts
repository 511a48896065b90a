import type { EncodedSequence } from '../../text/sequence.js';

/** rows x width, row-major: what a head makes of one batch's output. */
export interface HeadOutput {
  data: Float32Array;
  width: number;
}

/** The graph output a head reads, as ONNX Runtime describes it. */
export interface OutputInfo {
  name: string;
  type: string;
}

/**
 * How one kind of model output becomes one row per sequence. The session picks the output with
 * `chooseOutput` once at load (refusing the file with `missingOutputFix` when none fits) and calls
 * `read` after every run.
 */
export interface Head {
  chooseOutput(outputs: readonly OutputInfo[]): OutputInfo | undefined;
  /** What to do about a graph that has none of the outputs `chooseOutput` accepts. */
  readonly missingOutputFix: string;
  /** The output names it looks for, for the refusal message. */
  readonly outputNames: readonly string[];
  read(data: Float32Array, dims: readonly number[], sequences: readonly EncodedSequence[]): HeadOutput;
}
