import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config.js';
import type { Config } from '../../../src/config.js';
import { modelSettings } from '../../../src/compose.js';
import type { EngineModel } from '../../../src/engine/engine.js';
import { batchBudget } from '../../../src/models/kinds/encoder-budgets.js';
import { crossEncoder, embedder as embedderKind } from '../../../src/models/kinds/index.js';
import { loadCrossEncoder, type CrossEncoderSpec } from '../../../src/models/kinds/cross-encoder.js';
import { loadEmbedder, type EmbedderSpec } from '../../../src/models/kinds/embedder.js';
import { loadedModel } from '../../../src/models/registry.js';
import { forgeModel } from '../../../src/tools/forge/index.js';
import { decodeModel } from '../../../src/graph/onnx-proto.js';
import { graphPrecision, quantizeOnnxFile } from '../../../src/graph/index.js';
import { tempDir } from '../forge/helpers.js';

const DEFAULT_BATCH_BUDGETS = { 'cross-encoder': crossEncoder.budgets, embedder: embedderKind.budgets };
const rerankerEngineModel = (spec: CrossEncoderSpec, config: Config): EngineModel => loadedModel(crossEncoder, spec, 'reranker', modelSettings(config)).engine;
const embedderEngineModel = (spec: EmbedderSpec, config: Config): EngineModel => loadedModel(embedderKind, spec, 'embedder', modelSettings(config)).engine;

let root: Awaited<ReturnType<typeof tempDir>>;
let dir: string;
let embedder: string;

beforeAll(async () => {
  root = await tempDir('budgets-');
  dir = (await forgeModel({ out: path.join(root.dir, 'bert'), preset: 'tiny' })).dir;
  embedder = (await forgeModel({ out: path.join(root.dir, 'embed'), preset: 'embed-tiny' })).dir;
  for (const d of [dir, embedder]) await quantizeOnnxFile(path.join(d, 'onnx/model.onnx'), path.join(d, 'onnx/model_quantized.onnx'));
});
afterAll(async () => root.cleanup());

describe('graphPrecision', () => {
  it('reads int8 from the graph\'s ops, and fp32 otherwise', async () => {
    expect(graphPrecision(decodeModel(await readFile(path.join(dir, 'onnx/model.onnx'))))).toBe('fp32');
    expect(graphPrecision(decodeModel(await readFile(path.join(dir, 'onnx/model_quantized.onnx'))))).toBe('int8');
    expect(graphPrecision({ graph: { node: [{ opType: 'QLinearMatMul' }] } })).toBe('int8');
    expect(graphPrecision({ graph: { node: [{ opType: 'DynamicQuantizeMatMul', domain: 'com.microsoft' }] } })).toBe('int8');
  });
});

describe('default batch budgets', () => {
  it('follow the precision of the loaded file, per kind', () => {
    const config = buildConfig({});
    expect(config.maxBatchTokens).toBeUndefined();
    expect(config.maxBatchSize).toBeUndefined();
    const fp32 = rerankerEngineModel(loadCrossEncoder(dir, {}), config);
    const int8 = rerankerEngineModel(loadCrossEncoder(dir, { onnxFile: 'onnx/model_quantized.onnx' }), config);
    expect(fp32.limits).toEqual(DEFAULT_BATCH_BUDGETS['cross-encoder'].fp32);
    expect(int8.limits).toEqual(DEFAULT_BATCH_BUDGETS['cross-encoder'].int8);
    const embedFp32 = embedderEngineModel(loadEmbedder(embedder, {}), config);
    const embedInt8 = embedderEngineModel(loadEmbedder(embedder, { onnxFile: 'onnx/model_quantized.onnx' }), config);
    expect(embedFp32.limits).toEqual(DEFAULT_BATCH_BUDGETS.embedder.fp32);
    expect(embedInt8.limits).toEqual(DEFAULT_BATCH_BUDGETS.embedder.int8);
  });

  it('give way to explicit --max-batch-tokens and --max-batch-size, each on its own', () => {
    const spec = loadCrossEncoder(dir, { onnxFile: 'onnx/model_quantized.onnx' });
    expect(rerankerEngineModel(spec, buildConfig({ maxBatchTokens: '500' })).limits).toEqual({ maxBatchTokens: 500, maxBatchSize: DEFAULT_BATCH_BUDGETS['cross-encoder'].int8.maxBatchSize });
    expect(rerankerEngineModel(spec, buildConfig({ maxBatchSize: '7', maxBatchTokens: '900' })).limits).toEqual({ maxBatchTokens: 900, maxBatchSize: 7 });
    expect(batchBudget(embedderKind.budgets, 'fp32', { maxBatchSize: 3 })).toEqual({ ...DEFAULT_BATCH_BUDGETS.embedder.fp32, maxBatchSize: 3 });
  });

  it('load the cross-encoder with first-token-head unless --graph-rewrites false', () => {
    const spec = loadCrossEncoder(dir, {});
    expect(rerankerEngineModel(spec, buildConfig({})).session.rewrites).toEqual(['first-token-head']);
    expect(rerankerEngineModel(spec, buildConfig({ graphRewrites: 'false' })).session.rewrites).toEqual([]);
    expect(embedderEngineModel(loadEmbedder(embedder, {}), buildConfig({})).session.rewrites).toEqual([]);
  });
});
