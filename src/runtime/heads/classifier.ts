import type { EncodedSequence } from '../../text/sequence.js';
import { rawScore } from './activation.js';
import type { Head, HeadOutput, OutputInfo } from './head.js';

/** A sequence classifier (a cross-encoder): the logits of each pair become one raw score. */
export interface ClassifierSettings {
  kind: 'classifier';
  numLabels: number;
  relevantLabel: number;
}

export function classifierHead(settings: ClassifierSettings): Head {
  return {
    outputNames: ['logits'],
    // optimum names it logits; a graph with another name still has one output to read.
    chooseOutput: (outputs: readonly OutputInfo[]) => outputs.find((o) => o.name === 'logits') ?? outputs[0],
    missingOutputFix: 'Export the model for text classification (optimum-cli export onnx --task text-classification).',
    read(logits: Float32Array, _dims: readonly number[], sequences: readonly EncodedSequence[]): HeadOutput {
      const batch = sequences.length;
      if (logits.length !== batch * settings.numLabels) {
        throw new Error(`model returned ${logits.length} logits for ${batch} pairs; config.json says ${settings.numLabels} labels`);
      }
      const scores = new Float32Array(batch);
      for (let i = 0; i < batch; i++) scores[i] = rawScore(logits, i, settings.numLabels, settings.relevantLabel);
      return { data: scores, width: 1 };
    },
  };
}
