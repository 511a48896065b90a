import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Niceness of inference, tokenizer and JSON body threads. The main thread answers probes; it must
 * run as soon as it has work, even when every core is busy computing batches. At nice 19 a compute
 * thread weighs 15 against the main thread's 1024 in Linux's scheduler, so a waking main thread
 * preempts it instead of waiting for a time slice. Throughput is unchanged while nothing else wants
 * the cores. Measured on 2 cores (8 clients of 100 documents, two inference workers and a tokenizer
 * thread): /health p99 58.5 ms at nice 0, 14.6 ms at nice 10 (Zen 3). With 4 clients of 200
 * documents of 20,000 characters, after the body work left the main thread (issue 25): p99 14.7-19.6
 * ms at nice 10, 11.7-16.4 ms at nice 19, the same requests answered (Zen 5).
 */
export const COMPUTE_THREAD_NICE = 19;

/**
 * Lowers the calling thread's priority (not the process's): Linux gives every thread its own
 * nice value, and /proc/thread-self names the calling thread's id. Elsewhere this does nothing.
 */
export function lowerThisThreadPriority(nice = COMPUTE_THREAD_NICE): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
