// Load generator for event-loop tests, in its own worker thread so that building and sending large
// bodies never runs on the event loop being measured. Plain JavaScript: worker threads load no TypeScript.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

const { url, clients, kind, giveUpMs } = workerData;
// The load stands for clients on other machines: it must not take the cores from the server it measures.
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 19);
} catch {
  // Not Linux: run at normal priority.
}
const WORDS = 'paris france capital river seine bank bread cheese wine tower museum art history'.split(' ');
const ordinary = (n) => Array.from({ length: 100 }, (_, i) => `${n}-${i} ${Array.from({ length: 30 + (i % 5) * 10 }, (_, j) => WORDS[(i * 7 + j) % WORDS.length]).join(' ')}`);
const long = (n) => Array.from({ length: 200 }, (_, i) => `${n}-${i} ${Array.from({ length: 4000 }, (_, j) => WORDS[(i * 3 + j) % WORDS.length]).join(' ')}`.slice(0, 20_000));
const documents = kind === 'long' ? long : ordinary;

const stop = new AbortController();
let sent = 0;
let answered = 0;
let gaveUp = 0;
const failures = [];
parentPort.on('message', (msg) => {
  if (msg === 'stop') stop.abort();
});
// Distinct documents each time, so no cache in front of the engine can answer for them.
const loops = Array.from({ length: clients }, async () => {
  while (!stop.signal.aborted) {
    const body = JSON.stringify({ query: 'capital of france', documents: documents(sent++) });
    // A client that gives up (after a random wait up to giveUpMs) hangs up and sends its next request
    // on a new connection, as an impatient client or a proxy's timeout does.
    const patience = giveUpMs === undefined ? undefined : AbortSignal.timeout(Math.ceil(Math.random() * giveUpMs));
    const signal = patience === undefined ? stop.signal : AbortSignal.any([stop.signal, patience]);
    const res = await fetch(`${url}/v2/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal }).catch(() => undefined);
    const read = res === undefined ? false : await res.arrayBuffer().then(() => true, () => false);
    if (stop.signal.aborted) break;
    if (!read) {
      gaveUp++;
      continue;
    }
    if (res.status !== 200) failures.push(res.status);
    answered++;
  }
});
parentPort.postMessage({ started: true });
await Promise.all(loops);
parentPort.postMessage({ answered, failures, gaveUp });
