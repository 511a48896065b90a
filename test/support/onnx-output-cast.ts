import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, decodeModel, encodeModel } from '../../src/graph/onnx-proto.js';
import { copyOf } from './folders.js';

/**
 * A copy of a model folder whose ONNX output is cast to another element type, the way an fp16
 * export (onnx/model_fp16.onnx) hands its output over: the same graph, then a Cast node.
 */
export function folderWithOutputCast(dir: string, to: number, file = 'onnx/model_cast.onnx'): { dir: string; file: string } {
  const copy = copyOf(dir);
  const model = decodeModel(readFileSync(join(dir, 'onnx', 'model.onnx')));
  const graph = model.graph;
  const output = graph?.output?.[0];
  if (graph === null || graph === undefined || output === undefined || output.name === null || output.name === undefined) throw new Error('model has no output');
  const original = output.name;
  const renamed = `${original}_before_cast`;
  for (const node of graph.node ?? []) node.output = (node.output ?? []).map((o) => (o === original ? renamed : o));
  graph.node = [...(graph.node ?? []), { name: 'cast_output', opType: 'Cast', input: [renamed], output: [original], attribute: [{ name: 'to', type: 2, i: to }] }];
  if (output.type?.tensorType) output.type.tensorType.elemType = to;
  mkdirSync(join(copy, 'onnx'), { recursive: true });
  writeFileSync(join(copy, file), encodeModel(model));
  return { dir: copy, file };
}

export { DataType };
