import { attentionMaskBias, checkHeads, encoderLayers, int64Input, layerNorm, modelProto, outputHead } from './encoder-graph.js';
import { DataType, GraphBuilder, int } from './graph-builder.js';
import type { ModelProto } from '../../graph/onnx-proto.js';
import type { ForgePreset } from './presets.js';
import type { FloatTensor } from './weights.js';
import { familyWeightNames } from './weight-names.js';
import { XLMR_SPECIAL_IDS } from './xlmr-tokenizer-files.js';

export interface XlmrGraphSpec {
  preset: ForgePreset;
  numLabels: number;
  weights: Map<string, FloatTensor>;
}

/**
 * The operator pattern of a PyTorch opset-14 export of XLMRobertaForSequenceClassification (or of
 * XLMRobertaModel for an embedder): inputs input_ids and attention_mask only, and position ids
 * computed in the graph the way transformers' create_position_ids_from_input_ids does:
 * cumsum(ids != pad) * (ids != pad) + pad. Real tokens count from pad + 1 = 2 and padding keeps
 * position 1, so a padded row scores as it does alone, and the table needs two rows more than the
 * longest text (514 for 512 tokens). Token types are the one row of a size-1 table.
 */
export function buildXlmrModel(spec: XlmrGraphSpec): ModelProto {
  const { preset } = spec;
  checkHeads(preset);
  const names = familyWeightNames('xlm-roberta');
  const e = names.embeddings;
  const g = new GraphBuilder();
  for (const [name, t] of spec.weights) g.addFloat(name, t.dims, t.data);

  const embedded = g.scoped('embeddings', () => {
    const pad = g.int64Const(XLMR_SPECIAL_IDS.pad);
    // torch's export casts the mask to int32 before the cumsum (`.int()`) and back to int64 after.
    const notPad = g.op('Cast', [g.op('Not', [g.op('Equal', ['input_ids', pad])])], { to: int(DataType.INT32) });
    const counted = g.op('Mul', [g.op('CumSum', [notPad, g.int64Const(1)]), notPad]);
    const positions = g.op('Add', [g.op('Cast', [counted], { to: int(DataType.INT64) }), pad]);
    const words = g.op('Gather', [e.word, 'input_ids']);
    const types = g.op('Gather', [e.tokenType, g.int64Const(0)]);
    const sum = g.op('Add', [g.op('Add', [words, types]), g.op('Gather', [e.position, positions])]);
    return layerNorm(g, sum, e.layerNormWeight, e.layerNormBias, preset.layerNormEps);
  });

  const hidden = encoderLayers(g, preset, embedded, attentionMaskBias(g), names.layer);
  outputHead(g, preset, hidden, names.head);
  const inputs = [int64Input('input_ids'), int64Input('attention_mask')];
  return modelProto(g, preset, spec.numLabels, inputs, preset.kind === 'embedder' ? 'forged_xlmr_embedder' : 'forged_xlmr_cross_encoder');
}
