import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/errors.js';
import { KINDS } from '../../src/models/kinds/index.js';
import { loadModel } from '../../src/models/registry.js';
import { forgedDecoder } from '../support/forged-model.js';

const copies: string[] = [];
afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the forged decoder with its config.json edited. */
async function withConfig(edit: (config: Record<string, unknown>) => void): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'decoder-refusal-'));
  copies.push(dir);
  cpSync(await forgedDecoder(), dir, { recursive: true });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  edit(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

const load = (dir: string, opts: { maxLength?: number; template?: string } = {}) => loadModel('reranker', KINDS, dir, opts, { graphRewrites: true, limits: {} });

describe('what a decoder folder cannot be served as is refused at load, by name', () => {
  it('a causal LM of an unsupported architecture, naming it and what is supported', async () => {
    const dir = await withConfig((c) => {
      c['architectures'] = ['LlamaForCausalLM'];
      c['model_type'] = 'llama';
    });
    expect(() => load(dir)).toThrow(ModelLoadError);
    expect(() => load(dir)).toThrow(/LlamaForCausalLM is not a supported decoder reranker.*Supported: Qwen3ForCausalLM/s);
  });

  it('a supported architecture whose model_type has no known prompt, unless --reranker-template names one', async () => {
    const dir = await withConfig((c) => {
      c['model_type'] = 'qwen3_custom';
    });
    expect(() => load(dir)).toThrow(/no reranker prompt is known for model_type qwen3_custom.*--reranker-template \(qwen3-reranker, mxbai-rerank-v2, qwen3-reranker-seq-cls\)/s);
    expect(load(dir, { template: 'qwen3-reranker' }).kind.name).toBe('decoder-reranker');
    expect(() => load(dir, { template: 'chatml' })).toThrow(/--reranker-template chatml is not a known prompt/);
  });

  it('a --max-length that leaves no room after the prompt', async () => {
    const dir = await forgedDecoder();
    expect(() => load(dir, { maxLength: 40 })).toThrow(/leaves no room for a query and a document after the qwen3-reranker prompt.*Raise --max-length/s);
  });
});

describe('an operator ONNX Runtime does not implement', () => {
  it('is refused at load naming the operator and its domain', async () => {
    const { decodeModel, encodeModel } = await import('../../src/graph/onnx-proto.js');
    const { ModelSession } = await import('../../src/runtime/onnx-session.js');
    const dir = await withConfig(() => undefined);
    const model = decodeModel(readFileSync(join(dir, 'onnx/model.onnx')));
    const node = model.graph?.node?.find((n) => n.opType === 'Softmax');
    if (node === undefined || node === null) throw new Error('no Softmax');
    node.opType = 'FusedAttentionX';
    node.domain = 'com.example';
    model.opsetImport = [...(model.opsetImport ?? []), { domain: 'com.example', version: 1 }];
    writeFileSync(join(dir, 'onnx/model.onnx'), encodeModel(model));
    const spec = load(dir).spec;
    const create = ModelSession.create({ onnxPath: spec.folder.onnxPath, padId: spec.tokenizer.padId, head: spec.head, label: 'reranker' });
    await expect(create).rejects.toBeInstanceOf(ModelLoadError);
    await expect(create).rejects.toThrow(/uses the operator com\.example:FusedAttentionX, which this ONNX Runtime \(onnxruntime-node 1\.\d+\.\d+, CPU\) does not implement/);
  });
});
