import type { EncodedSequence } from '../../text/sequence.js';
import type { Head, HeadOutput, OutputInfo } from './head.js';
import { normalizeRows, pool, type PoolingSettings } from './pooling-modes.js';

/**
 * A bi-encoder: one vector per text, pooled over the token embeddings unless the graph pooled
 * already. `graphModules` names sentence-transformers modules (Dense…) that only the graph can
 * run: then the graph must output sentence_embedding.
 */
export type PoolingHeadSettings = { kind: 'pooling'; graphModules: string[] } & PoolingSettings;

/** Output names in the order they are preferred. */
const POOLING_OUTPUTS = ['sentence_embedding', 'last_hidden_state', 'token_embeddings'];

export function poolingHead(settings: PoolingHeadSettings): Head {
  const names = settings.graphModules.length > 0 ? ['sentence_embedding'] : POOLING_OUTPUTS;
  return {
    outputNames: names,
    chooseOutput: (outputs: readonly OutputInfo[]) => names.map((n) => outputs.find((o) => o.name === n)).find((o) => o !== undefined),
    missingOutputFix:
      settings.graphModules.length > 0
        ? `modules.json lists ${settings.graphModules.join(', ')}, which only the graph can run: export the whole sentence-transformers pipeline so the graph outputs sentence_embedding.`
        : 'Export the model for feature extraction (optimum-cli export onnx --task feature-extraction), which outputs last_hidden_state.',
    read(data: Float32Array, dims: readonly number[], sequences: readonly EncodedSequence[]): HeadOutput {
      if (dims.length === 2) {
        // sentence_embedding: the graph pooled already.
        const width = dims[1] as number;
        const copy = Float32Array.from(data);
        if (settings.normalize) normalizeRows(copy, sequences.length, width);
        return { data: copy, width };
      }
      if (dims.length !== 3) throw new Error(`expected token embeddings [batch, tokens, dim], got dims [${dims.join(', ')}]`);
      const [batch, seqLen, dim] = dims as [number, number, number];
      const pooled = pool(data, batch, seqLen, dim, sequences.map((s) => s.ids.length), settings);
      return { data: pooled, width: pooled.length / batch };
    },
  };
}
