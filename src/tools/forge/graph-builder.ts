import { CONSTANT_PREFIX } from './weight-names.js';
import {
  DataType,
  floatTensor,
  int64Tensor,
  onnx,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
} from '../../graph/onnx-proto.js';

export type AttrValue = { int: number } | { ints: number[] } | { float: number };

export const int = (value: number): AttrValue => ({ int: value });
export const ints = (value: number[]): AttrValue => ({ ints: value });
export const float = (value: number): AttrValue => ({ float: value });

const AttrType = onnx.AttributeProto.AttributeType;

function toAttribute(name: string, value: AttrValue): AttributeProto {
  if ('int' in value) return { name, type: AttrType.INT, i: value.int };
  if ('ints' in value) return { name, type: AttrType.INTS, ints: value.ints };
  return { name, type: AttrType.FLOAT, f: value.float };
}

/**
 * Accumulates nodes and initializers in topological order. Intermediate
 * tensors get scoped names (`/layer.0/attention/MatMul_12`) so a dumped graph
 * reads like an exporter's.
 */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;
  private scopeName = '';

  /** Runs `body` with node names prefixed by `scope`. */
  scoped<T>(scope: string, body: () => T): T {
    const previous = this.scopeName;
    this.scopeName = `${previous}/${scope}`;
    try {
      return body();
    } finally {
      this.scopeName = previous;
    }
  }

  /** Adds a single-output node and returns its output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    const name = `${this.scopeName}/${opType}_${this.counter++}`;
    const out = output ?? `${name}_output_0`;
    const attribute = Object.entries(attrs).map(([k, v]) => toAttribute(k, v));
    this.nodes.push({ name, opType, input: inputs, output: [out], attribute });
    return out;
  }

  /** Adds a node of ONNX Runtime's contrib domain (com.microsoft) with the named outputs. */
  contribOp(opType: string, inputs: string[], attrs: Record<string, AttrValue>, outputs: string[]): string[] {
    const name = `${this.scopeName}/${opType}_${this.counter++}`;
    const attribute = Object.entries(attrs).map(([k, v]) => toAttribute(k, v));
    this.nodes.push({ name, opType, domain: 'com.microsoft', input: inputs, output: outputs, attribute });
    return outputs;
  }

  addFloat(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  addInt64(name: string, dims: number[], values: ArrayLike<number>): string {
    this.initializers.push(int64Tensor(name, dims, values));
    return name;
  }

  /** Shared float constant (scalar unless dims given), deduplicated by value. */
  floatConst(value: number, dims: number[] = []): string {
    return this.constant(`float.${value}`, () => floatTensor('', dims, Float32Array.of(value)));
  }

  /** Shared int64 constant: a scalar for a number, a 1-D tensor for an array. */
  int64Const(value: number | number[]): string {
    const values = typeof value === 'number' ? [value] : value;
    const dims = typeof value === 'number' ? [] : [values.length];
    return this.constant(`int64.${values.join('_')}${dims.length ? '.1d' : ''}`, () => int64Tensor('', dims, values));
  }

  private constant(key: string, make: () => TensorProto): string {
    const existing = this.constants.get(key);
    if (existing) return existing;
    const name = `${CONSTANT_PREFIX}${key}`;
    this.initializers.push({ ...make(), name });
    this.constants.set(key, name);
    return name;
  }
}

export { DataType };
