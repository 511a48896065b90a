import { DataType, onnx, tensorDims, toNumber, type ModelProto, type NodeProto, type TensorProto } from './onnx-proto.js';

export const MS_DOMAIN = 'com.microsoft';
const AttrType = onnx.AttributeProto.AttributeType;

/**
 * Who produces and who reads every tensor of a graph, and which tensors are constants (an
 * initializer or a Constant node's value: torch exports use both). Rewrites read the graph through
 * it and then edit the node list; `refresh()` rebuilds the maps after an edit.
 */
export class GraphIndex {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly initializers = new Map<string, TensorProto>();
  readonly outputs = new Set<string>();
  private readonly used = new Set<string>();

  constructor(readonly model: ModelProto) {
    this.refresh();
  }

  get nodes(): NodeProto[] {
    return this.model.graph?.node ?? [];
  }

  refresh(): void {
    const graph = this.model.graph ?? {};
    this.producer.clear();
    this.consumers.clear();
    this.initializers.clear();
    this.outputs.clear();
    for (const t of graph.initializer ?? []) if (t.name) this.initializers.set(t.name, t);
    for (const o of graph.output ?? []) if (o.name) this.outputs.add(o.name);
    for (const n of graph.node ?? []) {
      for (const o of n.output ?? []) this.producer.set(o, n);
      for (const i of n.input ?? []) {
        if (!i) continue;
        const list = this.consumers.get(i) ?? [];
        list.push(n);
        this.consumers.set(i, list);
      }
    }
    for (const name of [...this.producer.keys(), ...this.initializers.keys(), ...(graph.input ?? []).map((v) => v.name ?? ''), ...this.outputs]) this.used.add(name);
    for (const n of graph.node ?? []) if (n.name) this.used.add(n.name);
  }

  /** The value of a constant tensor, or undefined for anything computed or fed. */
  constant(name: string): TensorProto | undefined {
    const t = this.initializers.get(name);
    if (t !== undefined) return t;
    const p = this.producer.get(name);
    if (p?.opType !== 'Constant') return undefined;
    return (p.attribute ?? []).find((a) => a.name === 'value')?.t ?? undefined;
  }

  /** The single reader of a tensor, when it has exactly one and is not a graph output. */
  soleConsumer(name: string): NodeProto | undefined {
    const list = this.consumers.get(name) ?? [];
    return list.length === 1 && !this.outputs.has(name) ? list[0] : undefined;
  }

  /** A name nothing in the graph uses yet. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  addInitializer(t: TensorProto): string {
    const graph = this.model.graph;
    if (!graph) throw new Error('the model has no graph');
    graph.initializer = [...(graph.initializer ?? []), t];
    if (t.name) this.initializers.set(t.name, t);
    return t.name ?? '';
  }

  /** Declares the com.microsoft domain, which contrib operators need. */
  useMicrosoftDomain(): void {
    const imports = this.model.opsetImport ?? [];
    if (!imports.some((o) => o.domain === MS_DOMAIN)) this.model.opsetImport = [...imports, { domain: MS_DOMAIN, version: 1 }];
  }

  /** Drops initializers no node reads any more (a rewrite replaced the nodes that did). */
  dropUnusedInitializers(): void {
    const graph = this.model.graph;
    if (!graph) return;
    const read = new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
    graph.initializer = (graph.initializer ?? []).filter((t) => read.has(t.name ?? '') || this.outputs.has(t.name ?? ''));
  }
}

/** Numbers of a small int64 or float constant (shapes, axes, scalars). */
export function constantValues(t: TensorProto): number[] {
  const raw = t.rawData;
  if (raw && raw.byteLength > 0) {
    const copy = new Uint8Array(raw);
    if (t.dataType === DataType.INT64) return Array.from(new BigInt64Array(copy.buffer, 0, copy.byteLength / 8), Number);
    if (t.dataType === DataType.FLOAT) return Array.from(new Float32Array(copy.buffer, 0, copy.byteLength / 4));
    if (t.dataType === DataType.INT32) return Array.from(new Int32Array(copy.buffer, 0, copy.byteLength / 4));
    return [];
  }
  if (t.dataType === DataType.INT64) return (t.int64Data ?? []).map((v) => toNumber(v));
  if (t.dataType === DataType.FLOAT) return [...(t.floatData ?? [])];
  if (t.dataType === DataType.INT32) return [...(t.int32Data ?? [])];
  return [];
}

export function isScalar(t: TensorProto): boolean {
  return tensorDims(t).reduce((a, b) => a * b, 1) === 1;
}

export function intAttr(node: NodeProto, name: string): number | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a === undefined || a.i === undefined || a.i === null ? undefined : toNumber(a.i);
}

export function intsAttr(node: NodeProto, name: string): number[] | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.ints === undefined || a.ints === null ? undefined : a.ints.map((v) => toNumber(v));
}

export function floatAttr(node: NodeProto, name: string): number | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a === undefined || a.f === undefined || a.f === null ? undefined : a.f;
}

export const attr = {
  int: (name: string, i: number) => ({ name, type: AttrType.INT, i }),
  float: (name: string, f: number) => ({ name, type: AttrType.FLOAT, f }),
};

export function isDefaultDomain(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

/**
 * Nodes in an order where every input is produced before it is read, as ONNX requires; a rewrite
 * that adds nodes at the end calls this. Fails on a cycle, which would be a rewrite bug.
 */
export function topologicalOrder(model: ModelProto): void {
  const graph = model.graph;
  if (!graph) return;
  const ready = new Set<string>(['', ...(graph.input ?? []).map((v) => v.name ?? ''), ...(graph.initializer ?? []).map((t) => t.name ?? '')]);
  const ordered: NodeProto[] = [];
  let rest = graph.node ?? [];
  while (rest.length > 0) {
    const waiting: NodeProto[] = [];
    for (const n of rest) {
      if ((n.input ?? []).every((i) => ready.has(i))) {
        ordered.push(n);
        for (const o of n.output ?? []) ready.add(o);
      } else waiting.push(n);
    }
    if (waiting.length === rest.length) throw new Error(`graph has a cycle or a missing input at ${waiting[0]?.name ?? waiting[0]?.opType}`);
    rest = waiting;
  }
  graph.node = ordered;
}
