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
