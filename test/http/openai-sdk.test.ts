import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { forgedEmbedder } from '../support/test-app.js';
import { norm } from '../helpers/vectors.js';
import { loopbackServer } from '../helpers/loopback-server.js';

/** OpenAI's own TypeScript SDK, pointed at this service by its base URL alone. */
let server: RunningServer;
let client: OpenAI;
beforeAll(async () => {
  server = await loopbackServer({ embeddingModel: await forgedEmbedder() });
  client = new OpenAI({ apiKey: 'not-checked', baseURL: `${server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => server.close());

describe('the openai SDK against this service', () => {
  it('embeddings.create with its default (base64, decoded by the SDK) equals encoding_format float', async () => {
    const input = ['Paris is the capital of France.', 'Bananas are yellow.'];
    const byDefault = await client.embeddings.create({ model: 'text-embedding-3-small', input });
    const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input, encoding_format: 'float' });
    expect(byDefault.data).toHaveLength(2);
    expect(byDefault.data.map((d) => d.index)).toEqual([0, 1]);
    byDefault.data.forEach((d, i) => {
      expect(d.embedding).toHaveLength(32);
      expect(Math.abs(norm(d.embedding) - 1)).toBeLessThan(1e-5);
      expect(d.embedding).toEqual((floats.data[i]?.embedding as number[]).map((x) => Math.fround(x)));
    });
    expect(byDefault.usage.prompt_tokens).toBeGreaterThan(0);
    expect(byDefault.model).toBe('text-embedding-3-small');
  });

  it('dimensions and a single string', async () => {
    const res = await client.embeddings.create({ model: 'm', input: 'hello', dimensions: 16 });
    expect(res.data[0]?.embedding).toHaveLength(16);
    expect(Math.abs(norm(res.data[0]?.embedding as number[]) - 1)).toBeLessThan(1e-5);
  });

  it('our 4xx surfaces as the SDK\'s error with our message', async () => {
    const err = await client.embeddings.create({ model: 'm', input: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain('input must not be empty');
  });
});
