import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { forgeDecoder, qwenTokenizerPaths } from '../../../src/tools/forge/decoder/index.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function forge(seed = 42, pastKeyValues = true) {
  const out = await mkdtemp(join(tmpdir(), 'decoder-forge-'));
  dirs.push(out);
  return forgeDecoder({ out, preset: 'qwen3-reranker-tiny', seed, pastKeyValues });
}

describe('forge: Qwen3 decoder rerankers (issue 20)', () => {
  it('writes a text-generation export in the hub layout, with the real Qwen tokenizer and Qwen3-Reranker\'s config fields', async () => {
    const r = await forge();
    const config = JSON.parse(readFileSync(join(r.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', num_key_value_heads: 2, head_dim: 16, vocab_size: 151669, tie_word_embeddings: true, rope_theta: 1_000_000 });
    expect(readFileSync(join(r.dir, 'tokenizer.json')).equals(readFileSync(qwenTokenizerPaths().tokenizerJson))).toBe(true);
    const session = await ort.InferenceSession.create(r.onnxFile);
    expect(session.inputNames.slice(0, 3)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    expect(session.inputNames.filter((n) => n.startsWith('past_key_values.'))).toHaveLength(4);
    expect(session.outputNames).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
    await session.release();
  });

  it('is deterministic by seed, and writes no cache inputs when asked', async () => {
    const [a, b, c] = [await forge(7), await forge(7), await forge(8)];
    expect(readFileSync(a.onnxFile).equals(readFileSync(b.onnxFile))).toBe(true);
    expect(readFileSync(a.onnxFile).equals(readFileSync(c.onnxFile))).toBe(false);
    const plain = await forge(7, false);
    const session = await ort.InferenceSession.create(plain.onnxFile);
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    await session.release();
  });

  it('writes the weights as external data beside the graph when asked (as it must for the 0.6B), a file ONNX Runtime reads by path', async () => {
    const inline = await forgeDecoder({ out: join(tmpdir(), `forge-inline-${process.pid}`), preset: 'qwen3-reranker-tiny', pastKeyValues: false });
    const external = await forgeDecoder({ out: join(tmpdir(), `forge-external-${process.pid}`), preset: 'qwen3-reranker-tiny', pastKeyValues: false, externalData: true });
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from([9693n, 2152n, 151644n]), [1, 3]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from([1n, 1n, 1n]), [1, 3]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n]), [1, 3]),
    };
    const logits = async (file: string) => {
      const session = await ort.InferenceSession.create(file);
      const out = (await session.run(feeds)).logits?.data as Float32Array;
      await session.release();
      return out;
    };
    expect(existsSync(`${external.onnxFile}_data`)).toBe(true);
    expect(existsSync(`${inline.onnxFile}_data`)).toBe(false);
    expect(Buffer.from((await logits(external.onnxFile)).buffer).equals(Buffer.from((await logits(inline.onnxFile)).buffer))).toBe(true);
    rmSync(inline.dir, { recursive: true, force: true });
    rmSync(external.dir, { recursive: true, force: true });
  });
});
