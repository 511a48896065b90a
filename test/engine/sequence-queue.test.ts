import { describe, expect, it } from 'vitest';
import { SequenceQueue, type QueuedRequest } from '../../src/engine/sequence-queue.js';

function request(lengths: number[], enqueuedAt = 0): QueuedRequest {
  return { sequences: lengths.map((n) => ({ ids: new Int32Array(n), typeIds: new Uint8Array(n) })), pending: lengths.map((_, i) => i), enqueuedAt };
}

const limits = { maxBatchSize: 4, maxBatchTokens: 1000 };

describe('SequenceQueue', () => {
  it('cuts a big request into length-sorted batches and counts what waits', () => {
    const q = new SequenceQueue(limits);
    const big = request([50, 10, 40, 20, 30, 60]);
    q.add(big);
    expect([q.items, q.tokens]).toEqual([6, 210]);
    // The cheapest cut of 10,20,30,40,50,60 is three batches of two (padding plus per-batch cost).
    const first = q.peek();
    expect(first?.slots.map((s) => s.pair)).toEqual([1, 3]);
    expect(first?.full).toBe(true);
    q.take(first?.slots ?? []);
    const second = q.peek();
    expect(second?.slots.map((s) => s.pair)).toEqual([4, 2]);
    q.take(second?.slots ?? []);
    const rest = q.peek();
    expect(rest?.slots.map((s) => s.pair)).toEqual([0, 5]);
    // Two pairs, room for more: worth waiting a moment for another request.
    expect(rest?.full).toBe(false);
  });

  it('mixes requests of similar length but always serves the oldest request first', () => {
    const q = new SequenceQueue(limits);
    const old = request([300, 300], 1);
    const young = request([10, 10, 10, 10], 2);
    q.add(old);
    q.add(young);
    // Sorted, the young pairs fill a batch of their own first; the old request's batch still goes first.
    const next = q.peek();
    expect(next?.slots.map((s) => s.request)).toEqual([old, old]);
    q.take(next?.slots ?? []);
    expect(q.peek()?.slots.map((s) => s.request)).toEqual([young, young, young, young]);
  });

  it('forgets a removed request at once', () => {
    const q = new SequenceQueue(limits);
    const gone = request([10, 20]);
    q.add(gone);
    q.add(request([5]));
    q.remove(gone);
    expect([q.items, q.tokens, q.size]).toEqual([1, 5, 1]);
    expect(q.peek()?.slots.map((s) => s.pair)).toEqual([0]);
  });
});
