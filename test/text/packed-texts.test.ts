import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { packTexts, selectTexts, sliceTexts, textAt, textBytes, textCount, unpackTexts } from '../../src/text/packed-texts.js';

const SAMPLES = ['', 'plain ascii', 'déjà vu – naïve', '東京タワー', 'emoji 🚀 and more 👩‍👩‍👧', 'lone \ud800 surrogate'];

describe('packed texts', () => {
  it('gives back every text as UTF-8 would carry it (a lone surrogate as U+FFFD)', () => {
    const p = packTexts(SAMPLES);
    expect(textCount(p)).toBe(SAMPLES.length);
    expect(unpackTexts(p)).toEqual(SAMPLES.map((s) => Buffer.from(s, 'utf8').toString('utf8')));
    SAMPLES.forEach((s, i) => expect(Buffer.from(textBytes(p, i)).equals(Buffer.from(s, 'utf8'))).toBe(true));
  });

  it('keeps bytes in shared segments of at most 64 KB, a longer text in one of its own', () => {
    const small = Array.from({ length: 100 }, (_, i) => `${i} `.repeat(500));
    const big = 'x'.repeat(200_000);
    const p = packTexts([...small, big, 'after']);
    for (const s of p.segments) expect(s.buffer).toBeInstanceOf(SharedArrayBuffer);
    const sizes = p.segments.map((s) => s.byteLength);
    expect(sizes).toContain(200_000);
    expect(sizes.filter((n) => n !== 200_000).every((n) => n <= 64 * 1024)).toBe(true);
    expect(p.segments.length).toBeGreaterThan(2);
    expect(textAt(p, 100)).toBe(big);
    expect(textAt(p, 101)).toBe('after');
  });

  it('slices and selects without copying: the same shared bytes, only the segments used', () => {
    const texts = Array.from({ length: 300 }, (_, i) => `document ${i} `.repeat(40));
    const p = packTexts(texts);
    const s = sliceTexts(p, 128, 256);
    expect(unpackTexts(s)).toEqual(texts.slice(128, 256));
    expect(s.segments.length).toBeLessThan(p.segments.length);
    for (const seg of s.segments) expect(p.segments).toContain(seg);
    const picked = selectTexts(p, [299, 0, 150, 0]);
    expect(unpackTexts(picked)).toEqual([texts[299], texts[0], texts[150], texts[0]]);
    expect(sliceTexts(p, 0, 300)).toBe(p);
  });

  it('crosses to a worker thread as shared memory: the thread reads the texts, a write shows on both sides', async () => {
    const p = packTexts(['first text', 'zweiter Text ü']);
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.once('message', (p) => {
         const d = new TextDecoder();
         const texts = Array.from(p.start, (s, i) => d.decode(p.segments[p.segment[i]].subarray(s, p.end[i])));
         p.segments[0][0] = 70;
         parentPort.postMessage(texts);
       });`,
      { eval: true },
    );
    const seen = await new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage(p);
    });
    await worker.terminate();
    expect(seen).toEqual(['first text', 'zweiter Text ü']);
    expect(textAt(p, 0)).toBe('First text');
  });
});
