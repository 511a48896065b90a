import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubError, MANIFEST_NAME, pullModel, type PullOptions } from '../../src/hub/index.js';
import { closedPort, seededBytes, sha256, startLoopbackHub, type LoopbackHub } from './loopback-hub.js';

const REPO = 'cross-encoder/ms-marco-MiniLM-L-6-v2';
const ONNX_BYTES = 300 * 1024;

const small = {
  'config.json': Buffer.from(JSON.stringify({ architectures: ['BertForSequenceClassification'], num_labels: 1 })),
  'tokenizer.json': Buffer.from(JSON.stringify({ version: '1.0', model: { type: 'WordPiece', vocab: { a: 0 } } })),
  'tokenizer_config.json': Buffer.from(JSON.stringify({ do_lower_case: true, model_max_length: 512 })),
  'special_tokens_map.json': Buffer.from(JSON.stringify({ cls_token: '[CLS]', sep_token: '[SEP]' })),
  'vocab.txt': Buffer.from('[PAD]\n[UNK]\n[CLS]\n[SEP]\na\n'),
};
const onnx = seededBytes(ONNX_BYTES, 42);

function seedRepo(hub: LoopbackHub, repoId = REPO, revision = 'main', onnxPath = 'onnx/model.onnx'): void {
  for (const [path, bytes] of Object.entries(small)) hub.addFile(repoId, revision, path, bytes);
  hub.addFile(repoId, revision, onnxPath, onnx);
}

/** Deep equality on a 300 KB Buffer walks it element by element and costs about a second; compare natively. */
async function expectSameBytes(path: string, expected: Buffer): Promise<void> {
  const actual = await readFile(path);
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}

async function expectHubError(promise: Promise<unknown>, code: string): Promise<HubError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HubError);
  expect((err as HubError).code).toBe(code);
  return err as HubError;
}

describe('pull against a loopback stand-in for the Hugging Face hub (the real hub is unreachable here)', () => {
  let hub: LoopbackHub;
  let dest: string;
  let workDir: string;
  const logs: string[] = [];
  const opts = (extra: Partial<PullOptions> = {}): PullOptions => ({
    repoId: REPO,
    destDir: dest,
    endpoint: hub.endpoint,
    progress: false,
    timeoutMs: 2_000,
    log: (m) => logs.push(m),
    ...extra,
  });

  beforeEach(async () => {
    hub = await startLoopbackHub();
    workDir = await mkdtemp(join(tmpdir(), 'hub-pull-'));
    dest = join(workDir, 'models', REPO);
    logs.length = 0;
  });

  afterEach(async () => {
    await hub.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('downloads a fresh copy from the loopback hub: every file byte-identical, manifest written', async () => {
    seedRepo(hub);
    const result = await pullModel(opts());

    expect(result.network).toBe(true);
    expect(result.dir).toBe(dest);
    expect(result.files.map((f) => f.path).sort()).toEqual([...Object.keys(small), 'onnx/model.onnx'].sort());
    for (const [path, bytes] of Object.entries(small)) expect(await readFile(join(dest, path))).toEqual(bytes);
    await expectSameBytes(join(dest, 'onnx/model.onnx'), onnx);
    const onnxResult = result.files.find((f) => f.path === 'onnx/model.onnx');
    expect(onnxResult).toMatchObject({ bytes: ONNX_BYTES, sha256: sha256(onnx), downloaded: true, resumed: false });
    expect(existsSync(join(dest, 'onnx/model.onnx.incomplete'))).toBe(false);

    const manifest = JSON.parse(await readFile(join(dest, MANIFEST_NAME), 'utf8'));
    expect(manifest).toMatchObject({ repoId: REPO, revision: 'main', onnxFile: 'onnx/model.onnx' });
    expect(manifest.files['onnx/model.onnx']).toMatchObject({ size: ONNX_BYTES, sha256: sha256(onnx) });
    expect(manifest.files['config.json'].sha1).toMatch(/^[0-9a-f]{40}$/);
    // 1_Pooling/config.json is absent from this repo: skipped, not an error.
    expect(manifest.files['1_Pooling/config.json']).toBeUndefined();
    // The ONNX body came from the CDN origin exactly once.
    expect(hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET')).toHaveLength(1);
  });

  it('resumes a download the loopback hub cut mid-body, transferring only the missing bytes', async () => {
    seedRepo(hub);
    hub.cutNextAfter(REPO, 'main', 'onnx/model.onnx', 100 * 1024);
    const cut = await expectHubError(pullModel(opts()), 'HUB_UNREACHABLE');
    expect(cut.message).toContain('run the pull again to resume');
    const partial = join(dest, 'onnx/model.onnx.incomplete');
    const have = (await stat(partial)).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThan(ONNX_BYTES);
    expect(existsSync(join(dest, 'onnx/model.onnx'))).toBe(false);

    hub.resetCounters();
    const result = await pullModel(opts());
    const cdnGets = hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET');
    expect(cdnGets).toHaveLength(1);
    expect(cdnGets[0]).toMatchObject({ range: `bytes=${have}-`, status: 206 });
    expect(hub.cdnBytesSent()).toBe(ONNX_BYTES - have);
    expect(result.files.find((f) => f.path === 'onnx/model.onnx')).toMatchObject({ downloaded: true, resumed: true });
    await expectSameBytes(join(dest, 'onnx/model.onnx'), onnx);
    expect(existsSync(partial)).toBe(false);
  });

  it('rejects a file whose bytes do not match X-Linked-Etag and leaves no file behind', async () => {
    seedRepo(hub);
    hub.corrupt(REPO, 'main', 'onnx/model.onnx');
    const err = await expectHubError(pullModel(opts()), 'HUB_CHECKSUM_MISMATCH');
    expect(err.message).toContain('onnx/model.onnx');
    expect(err.message).toContain(sha256(onnx));
    expect(existsSync(join(dest, 'onnx/model.onnx'))).toBe(false);
    expect(existsSync(join(dest, 'onnx/model.onnx.incomplete'))).toBe(false);
    expect(existsSync(join(dest, MANIFEST_NAME))).toBe(false);
  });

  it('re-runs with no network at all once the folder verifies against its manifest', async () => {
    seedRepo(hub);
    await pullModel(opts());
    await hub.stop();

    const result = await pullModel(opts());
    expect(result.network).toBe(false);
    expect(result.files.every((f) => !f.downloaded && !f.resumed)).toBe(true);
    expect(result.files.find((f) => f.path === 'onnx/model.onnx')?.sha256).toBe(sha256(onnx));

    // A same-size corruption defeats a size check but not the rehash, so the offline path is refused.
    const configPath = join(dest, 'config.json');
    const config = await readFile(configPath);
    config[0] = (config[0] ?? 0) ^ 1;
    await writeFile(configPath, config);
    await expectHubError(pullModel(opts()), 'HUB_UNREACHABLE');
    hub = await startLoopbackHub(); // afterEach stops whatever hub is current
  });

  it('repairs only the damaged file when the folder no longer matches its manifest', async () => {
    seedRepo(hub);
    await pullModel(opts());
    await writeFile(join(dest, 'config.json'), '{"tampered":true}');
    hub.resetCounters();

    const result = await pullModel(opts());
    expect(result.network).toBe(true);
    expect(result.files.filter((f) => f.downloaded).map((f) => f.path)).toEqual(['config.json']);
    expect(hub.requests.filter((r) => r.method === 'GET').map((r) => r.url)).toEqual([
      `/${REPO}/resolve/main/config.json`,
    ]);
    expect(await readFile(join(dest, 'config.json'))).toEqual(small['config.json']);
  });

  it('sends the token to the loopback hub but never to the CDN origin; 401 maps to HUB_UNAUTHORIZED', async () => {
    seedRepo(hub);
    hub.requireToken = 'hf_secret';
    const err = await expectHubError(pullModel(opts()), 'HUB_UNAUTHORIZED');
    expect(err.message).toContain('HF_TOKEN');

    hub.resetCounters();
    await pullModel(opts({ token: 'hf_secret' }));
    const hubRequests = hub.requests.filter((r) => r.server === 'hub');
    expect(hubRequests.length).toBeGreaterThan(0);
    expect(hubRequests.every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    expect(hubRequests.some((r) => r.method === 'HEAD')).toBe(true);
    const cdnRequests = hub.requests.filter((r) => r.server === 'cdn');
    expect(cdnRequests.length).toBeGreaterThan(0);
    expect(cdnRequests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('reports a repository the loopback hub does not have as HUB_NOT_FOUND', async () => {
    const err = await expectHubError(pullModel(opts({ repoId: 'nobody/no-such-model' })), 'HUB_NOT_FOUND');
    expect(err.message).toContain('nobody/no-such-model');
    expect(existsSync(join(dest, MANIFEST_NAME))).toBe(false);
  });

  it('reports a closed port as HUB_UNREACHABLE with advice for offline hosts', async () => {
    const port = await closedPort();
    const err = await expectHubError(pullModel(opts({ endpoint: `http://127.0.0.1:${port}` })), 'HUB_UNREACHABLE');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('--model DIR');
  });

  it('times out a CDN transfer that goes silent, keeping the partial file for a resume', async () => {
    seedRepo(hub);
    hub.stallNext(REPO, 'main', 'onnx/model.onnx');
    const err = await expectHubError(pullModel(opts({ timeoutMs: 300 })), 'HUB_UNREACHABLE');
    expect(err.message).toContain('timed out');
    expect(existsSync(join(dest, 'onnx/model.onnx.incomplete'))).toBe(true);
  });

  it('brings the external data files of a graph over 2 GB (model.onnx_data, _data_1), verified and recorded, and none that are not there', async () => {
    seedRepo(hub);
    const shards = [seededBytes(200 * 1024, 7), seededBytes(100 * 1024, 8)];
    hub.addFile(REPO, 'main', 'onnx/model.onnx_data', shards[0] as Buffer, { lfs: true });
    hub.addFile(REPO, 'main', 'onnx/model.onnx_data_1', shards[1] as Buffer, { lfs: true });
    const result = await pullModel(opts());
    expect(result.files.map((f) => f.path)).toEqual(expect.arrayContaining(['onnx/model.onnx', 'onnx/model.onnx_data', 'onnx/model.onnx_data_1']));
    await expectSameBytes(join(dest, 'onnx/model.onnx_data'), shards[0] as Buffer);
    await expectSameBytes(join(dest, 'onnx/model.onnx_data_1'), shards[1] as Buffer);
    const manifest = JSON.parse(await readFile(join(dest, MANIFEST_NAME), 'utf8'));
    expect(manifest.files['onnx/model.onnx_data_1']).toMatchObject({ size: 100 * 1024, sha256: sha256(shards[1] as Buffer) });
    // The search stopped at the first shard the hub does not have.
    expect(hub.requests.some((r) => r.url.endsWith('/onnx/model.onnx_data_2') && r.status === 404)).toBe(true);
    expect(hub.requests.some((r) => r.url.endsWith('/onnx/model.onnx_data_3'))).toBe(false);

    // A damaged shard is found by the offline check and fetched again, alone.
    await writeFile(join(dest, 'onnx/model.onnx_data_1'), Buffer.from('damaged'));
    hub.resetCounters();
    const again = await pullModel(opts());
    expect(again.files.filter((f) => f.downloaded).map((f) => f.path)).toEqual(['onnx/model.onnx_data_1']);
    await expectSameBytes(join(dest, 'onnx/model.onnx_data_1'), shards[1] as Buffer);
  });

  it('falls back to a root model.onnx only when no ONNX file was asked for', async () => {
    seedRepo(hub, REPO, 'main', 'model.onnx');
    await expectHubError(pullModel(opts({ onnxFile: 'onnx/model.onnx' })), 'HUB_NOT_FOUND');

    const result = await pullModel(opts());
    expect(result.files.map((f) => f.path)).toContain('model.onnx');
    await expectSameBytes(join(dest, 'model.onnx'), onnx);
    expect(hub.requests.some((r) => r.url.endsWith('/resolve/main/onnx/model.onnx') && r.status === 404)).toBe(true);
  });

  it('puts the (encoded) revision in every hub URL', async () => {
    seedRepo(hub, REPO, 'refs/pr/7');
    const result = await pullModel(opts({ revision: 'refs/pr/7' }));
    expect(result.files).toHaveLength(6);
    const hubUrls = hub.requests.filter((r) => r.server === 'hub').map((r) => r.url);
    expect(hubUrls.length).toBeGreaterThan(0);
    expect(hubUrls.every((u) => u.startsWith(`/${REPO}/resolve/refs%2Fpr%2F7/`))).toBe(true);

    // The manifest is tied to the revision, so asking for another one goes back to the hub.
    await expectHubError(pullModel(opts({ revision: 'v2' })), 'HUB_NOT_FOUND');
  });

  it('accepts an old BERT repo with vocab.txt but no tokenizer.json, and refuses one with neither', async () => {
    const legacy = 'legacy/bert-reranker';
    hub.addFile(legacy, 'main', 'config.json', small['config.json']);
    hub.addFile(legacy, 'main', 'tokenizer_config.json', small['tokenizer_config.json']);
    hub.addFile(legacy, 'main', 'model.onnx', onnx);
    await expectHubError(pullModel(opts({ repoId: legacy })), 'HUB_NOT_FOUND');

    hub.addFile(legacy, 'main', 'vocab.txt', small['vocab.txt']);
    const result = await pullModel(opts({ repoId: legacy }));
    expect(result.files.map((f) => f.path).sort()).toEqual(['config.json', 'model.onnx', 'tokenizer_config.json', 'vocab.txt']);
  });
});
