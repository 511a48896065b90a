// Child process of durability.test.ts: ingests batches into the embedded store (the compiled
// dist/ build, as `npm start` runs it) and prints "ack <n>" once batch n's upsert has resolved,
// until it is killed. Arguments: data directory, first batch number, documents per batch.
import { openStore } from '../../dist/store/index.js';

const [dataDir, first, perBatch] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const store = await openStore({ url: undefined, dataDir, timeoutMs: 60_000, poolSize: 2, schema: 'reranker' });
await store.createCollection({ name: 'ingest', dimensions: 16 });
process.stdout.write('ready\n');
let seed = first + 1;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
for (let b = first; ; b++) {
  const docs = Array.from({ length: perBatch }, (_, i) => ({
    id: `b${b}-${i}`,
    text: `batch ${b} document ${i} `.repeat(20),
    metadata: { batch: b },
    chunks: [{ text: `batch ${b} document ${i}`, embedding: Float32Array.from({ length: 16 }, random) }],
  }));
  await store.upsert('ingest', docs);
  process.stdout.write(`ack ${b}\n`);
}
