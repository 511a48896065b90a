import type { RunningServer } from '../../src/server.js';
import { loopbackServer } from '../helpers/loopback-server.js';
import { forgedEmbedder } from '../support/test-app.js';

/** The service on loopback with a forged cross-encoder and embedder, as a framework client would reach it. */
export async function clientServer(): Promise<RunningServer> {
  return loopbackServer({ embeddingModel: await forgedEmbedder(), workers: '1', servedModelName: 'forged-tiny' });
}

/** What this service answers itself: the reference the frameworks' results are compared with. */
export async function direct<T>(server: RunningServer, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Embeddings as floats from /v1/embeddings, the reference for what a client decoded. */
export async function directEmbeddings(server: RunningServer, input: string[], dimensions?: number): Promise<number[][]> {
  const body = await direct<{ data: { embedding: number[] }[] }>(server, '/v1/embeddings', { input, encoding_format: 'float', ...(dimensions === undefined ? {} : { dimensions }) });
  return body.data.map((d) => d.embedding);
}

/** A fetch that records each JSON body it sends, so a test can see what a framework put on the wire. */
export function recordingFetch(): { fetch: typeof fetch; bodies: Record<string, unknown>[] } {
  const bodies: Record<string, unknown>[] = [];
  const recording: typeof fetch = async (input, init) => {
    if (typeof init?.body === 'string') bodies.push(JSON.parse(init.body) as Record<string, unknown>);
    return fetch(input, init);
  };
  return { fetch: recording, bodies };
}

/** float32 of the decoded vectors: the SDKs decode base64 float32 bytes, the reference came as JSON numbers. */
export const f32 = (rows: number[][]): number[][] => rows.map((r) => r.map((x) => Math.fround(x)));
