import { existsSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { quantizeOnnxFile } from '../src/graph/quantize/quantize-file.js';
import { answerIds, loadDecoderReranker } from '../src/models/kinds/decoder-reranker.js';
import { sigmoid } from '../src/runtime/heads/activation.js';
import { forgeDecoder, type DecoderPresetName } from '../src/tools/forge/decoder/index.js';
import { mulberry32 } from '../src/tools/forge/prng.js';
import { checkScores, type ScoreCheckResult } from '../src/tools/quantize/score-check.js';
import { wordsFromTokenizerJson } from '../src/tools/quantize/synthetic-workload.js';
import { startService } from './service-contender.js';

/**
 * Issue 20: a decoder reranker (Qwen3-Reranker's layer shape and vocabulary) served by us, fp32 and
 * int8, at concurrency 1 and 8, against transformers.js running the same folder as the model card
 * does: AutoModelForCausalLM on the prompt's ids, P(yes) from the last position's logits. One
 * request is `pairs` pairs of ~300 tokens; every contender scores the same requests.
 */

export const DECODER_PRESET: DecoderPresetName = 'qwen3-reranker-0.6b';
const FP32 = 'onnx/model.onnx';
const INT8 = 'onnx/model_quantized.onnx';

export interface DecoderBenchOptions {
  dir: string;
  /** English words for the texts (the cross-encoder bench model's vocabulary). */
  wordsFrom: string;
  pairs: number;
  /** Requests per concurrency level: enough for every client to send `rounds`. */
  rounds: number;
  log: (msg: string) => void;
}

export interface DecoderRun {
  contender: string;
  dtype: 'fp32' | 'int8';
  concurrency: number;
  pairs: number;
  seconds: number;
}

export interface DecoderReport {
  preset: DecoderPresetName;
  pairsPerRequest: number;
  meanTokens: number;
  runs: DecoderRun[];
  /** Largest |P(yes)| difference, ours against transformers.js, fp32, over one request. */
  agreement: number;
  headRewrite: { fp32: number; int8: number };
  /** int8 against fp32 on the score check's workload (issue 20: 10 queries x 100 documents). */
  drift: ScoreCheckResult;
}

export async function ensureDecoder(dir: string, log: (msg: string) => void): Promise<void> {
  if (!existsSync(path.join(dir, FP32))) {
    log(`forging ${DECODER_PRESET} into ${dir}`);
    await forgeDecoder({ out: dir, preset: DECODER_PRESET });
  }
  const int8 = path.join(dir, INT8);
  if (!existsSync(int8) || statSync(int8).mtimeMs < statSync(path.join(dir, FP32)).mtimeMs) {
    log(`quantizing ${dir}`);
    await quantizeOnnxFile(path.join(dir, FP32), int8);
  }
}

/** One query and `pairs` documents of ~260 words each (~300 tokens with the prompt), seeded. */
export function decoderWorkload(wordsFrom: string, pairs: number, seed: number): { query: string; documents: string[] } {
  const words = wordsFromTokenizerJson(JSON.parse(readFileSync(path.join(wordsFrom, 'tokenizer.json'), 'utf8')) as Record<string, unknown>);
  const rand = mulberry32(seed);
  const text = (n: number): string => Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(' ');
  return { query: text(8), documents: Array.from({ length: pairs }, () => text(190 + Math.floor(rand() * 40))) };
}

/**
 * POST /v2/rerank over node:http: eight 20-pair requests of the full 0.6B on two cores take ~6 minutes
 * fp32, past fetch's (undici's) fixed 300 s wait for response headers, which node:http does not have.
 */
export function rerank(url: string, body: object): Promise<number[]> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/v2/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new Error(`POST /v2/rerank answered ${res.statusCode}: ${text}`));
        const scores: number[] = [];
        for (const r of (JSON.parse(text) as { results: { index: number; relevance_score: number }[] }).results) scores[r.index] = r.relevance_score;
        resolve(scores);
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** `concurrency` closed-loop clients sending the same request `rounds` times each. */
async function timed(concurrency: number, rounds: number, send: () => Promise<unknown>): Promise<number> {
  await send();
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = 0; i < rounds; i++) await send();
  }));
  return (performance.now() - started) / 1000;
}

async function ours(dir: string, file: string, work: { query: string; documents: string[] }, o: DecoderBenchOptions, extra: string[] = [], levels = [1, 8]): Promise<{ runs: DecoderRun[]; scores: number[] }> {
  const dtype = file === FP32 ? 'fp32' : 'int8';
  // Eight requests of 20 pairs are minutes of fp32 work on two cores: more than startService's --max-queue-ms, which would answer 429.
  const service = await startService(dir, file, [...extra, '--max-queue-ms', '900000']);
  try {
    const scores = await rerank(service.url, work);
    const runs: DecoderRun[] = [];
    for (const concurrency of levels) {
      const rounds = concurrency === 1 ? o.rounds : 1;
      const seconds = await timed(concurrency, rounds, () => rerank(service.url, work));
      runs.push({ contender: `this service${extra.length > 0 ? ` (${extra.join(' ')})` : ''}`, dtype, concurrency, pairs: concurrency * rounds * work.documents.length, seconds });
      o.log(`decoder ${dtype} c${concurrency}${extra.join(' ')}: ${((concurrency * rounds * work.documents.length) / seconds).toFixed(2)} pairs/s`);
    }
    return { runs, scores };
  } finally {
    await service.stop();
  }
}

/** transformers.js as the Qwen3-Reranker card runs it: left-padded batch of the prompt's ids, P(yes) at the last position. */
async function transformersJs(dir: string, work: { query: string; documents: string[] }, o: DecoderBenchOptions): Promise<{ runs: DecoderRun[]; scores: number[] }> {
  const { AutoModelForCausalLM, Tensor, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${path.dirname(path.resolve(dir))}${path.sep}`;
  const model = await AutoModelForCausalLM.from_pretrained(path.basename(path.resolve(dir)), { dtype: 'fp32', device: 'cpu' });
  // The same ids the card builds (prefix + cut body + suffix); the template is the card's, so ours can build them.
  const spec = loadDecoderReranker(dir, {});
  const [no, yes] = answerIds(spec);
  const sequences = work.documents.map((d) => Array.from(spec.encoder.encodePair(work.query, d, { direction: 'right', truncate: true }, spec.encoder.template.defaultInstruction).ids));
  const longest = Math.max(...sequences.map((s) => s.length));
  const ids = new BigInt64Array(sequences.length * longest).fill(BigInt(spec.tokenizer.padId));
  const mask = new BigInt64Array(sequences.length * longest);
  sequences.forEach((s, row) => s.forEach((id, i) => {
    const at = row * longest + longest - s.length + i;
    ids[at] = BigInt(id);
    mask[at] = 1n;
  }));
  const score = async (): Promise<number[]> => {
    const dims = [sequences.length, longest];
    const out = (await model({ input_ids: new Tensor('int64', ids, dims), attention_mask: new Tensor('int64', mask, dims) })) as { logits: { data: Float32Array; dims: number[] } };
    const vocab = out.logits.dims[2] as number;
    return sequences.map((_, row) => {
      const base = (row * longest + longest - 1) * vocab;
      return sigmoid((out.logits.data[base + yes] as number) - (out.logits.data[base + no] as number));
    });
  };
  try {
    const scores = await score();
    const runs: DecoderRun[] = [];
    for (const concurrency of [1, 8]) {
      const rounds = concurrency === 1 ? o.rounds : 1;
      const seconds = await timed(concurrency, rounds, score);
      runs.push({ contender: 'transformers.js (AutoModelForCausalLM, one left-padded batch per request)', dtype: 'fp32', concurrency, pairs: concurrency * rounds * work.documents.length, seconds });
      o.log(`transformers.js fp32 c${concurrency}: ${((concurrency * rounds * work.documents.length) / seconds).toFixed(2)} pairs/s`);
    }
    return { runs, scores };
  } finally {
    await model.dispose();
  }
}

export async function runDecoderBench(o: DecoderBenchOptions): Promise<DecoderReport> {
  await ensureDecoder(o.dir, o.log);
  const work = decoderWorkload(o.wordsFrom, o.pairs, 7);
  const spec = loadDecoderReranker(o.dir, {});
  const lengths = work.documents.map((d) => spec.encoder.encodePair(work.query, d, { direction: 'right', truncate: true }, spec.encoder.template.defaultInstruction).ids.length);
  const fp32 = await ours(o.dir, FP32, work, o);
  const int8 = await ours(o.dir, INT8, work, o);
  // The head rewrite's share, at concurrency 1 only: a request's batches on an idle pool.
  const fullFp32 = await ours(o.dir, FP32, work, o, ['--graph-rewrites', 'false'], [1]);
  const fullInt8 = await ours(o.dir, INT8, work, o, ['--graph-rewrites', 'false'], [1]);
  const tjs = await transformersJs(o.dir, work, o);
  o.log('int8 drift: 10 queries x 100 documents, fp32 and int8');
  const drift = await checkScores({ dir: o.dir, referenceFile: FP32, candidateFile: INT8, queries: 10, docsPerQuery: 100, seed: 1, threads: 2 });
  const agreement = Math.max(...fp32.scores.map((s, i) => Math.abs(s - (tjs.scores[i] as number))));
  const rate = (runs: DecoderRun[]): number => {
    const r = runs.find((x) => x.concurrency === 1) as DecoderRun;
    return r.pairs / r.seconds;
  };
  return {
    preset: DECODER_PRESET,
    pairsPerRequest: work.documents.length,
    meanTokens: lengths.reduce((a, b) => a + b, 0) / lengths.length,
    runs: [...fp32.runs, ...int8.runs, ...fullFp32.runs, ...fullInt8.runs, ...tjs.runs],
    agreement,
    headRewrite: { fp32: rate(fp32.runs) / rate(fullFp32.runs), int8: rate(int8.runs) / rate(fullInt8.runs) },
    drift,
  };
}

export function renderDecoder(r: DecoderReport): string[] {
  const tjs = (c: number) => r.runs.find((x) => x.contender.startsWith('transformers.js') && x.concurrency === c);
  const lines = [
    `### Decoder reranker: ${r.preset} (Qwen3-Reranker-0.6B's shape: 28 layers, its vocabulary, 2.4 GB of fp32 weights as external data; seeded weights), requests of ${r.pairsPerRequest} pairs (concurrency 8: eight such requests at once), ${r.meanTokens.toFixed(0)} tokens per pair on average`,
    '',
    '| contender | precision | concurrency | pairs/s | vs transformers.js fp32 |',
    '|---|---|---|---|---|',
  ];
  for (const run of r.runs) {
    const base = tjs(run.concurrency);
    const rate = run.pairs / run.seconds;
    lines.push(`| ${run.contender} | ${run.dtype} | ${run.concurrency} | ${rate.toFixed(2)} | ${base === undefined ? '-' : `${(rate / (base.pairs / base.seconds)).toFixed(2)}x`} |`);
  }
  lines.push('', `- The score-head rewrite (two LM-head rows at the last token): ${r.headRewrite.fp32.toFixed(2)}x fp32, ${r.headRewrite.int8.toFixed(2)}x int8 at concurrency 1, against the same service with --graph-rewrites false.`);
  lines.push(`- Agreement: P(yes) of ours (fp32) and of transformers.js differ by at most ${r.agreement.toExponential(1)} on the request's pairs.`);
  const d = r.drift;
  lines.push(
    `- int8 drift (the score check, ${d.queries} queries x ${d.pairs / d.queries} documents, raw scores logit(yes) - logit(no)): max |int8 - fp32| ${d.maxAbsDiff.toFixed(2)}, mean ${d.meanAbsDiff.toFixed(2)}, against a spread (std) of ${d.referenceStd.toFixed(2)}; Spearman mean ${d.spearman.mean.toFixed(3)} (min ${d.spearman.min.toFixed(3)}), Kendall mean ${d.kendall.mean.toFixed(3)}, top-${d.topK} overlap mean ${d.topKOverlap.mean.toFixed(2)} (min ${d.topKOverlap.min.toFixed(2)}). Seeded weights: this says what dynamic int8 does to this forged model, not to the trained one.`,
  );
  return lines;
}
