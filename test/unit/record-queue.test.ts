// The local FIFO of byte records that wait while a ring is full.
import { RecordQueue } from '../../src/channel/record-queue.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';

/** The queue's chunk size (record-queue.ts): records are packed into chunks of this many bytes. */
const CHUNK = 1 << 16;

const record = (len: number, seed: number) => Uint8Array.from({ length: len }, (_, i) => (seed * 13 + i * 3) & 0xff);

/** Takes up to `max` records, as copies. */
function take(queue: RecordQueue, max = Infinity): number[][] {
  const out: number[][] = [];
  const n = queue.drain((bytes, offset, len) => {
    if (out.length >= max) return false;
    out.push([...bytes.subarray(offset, offset + len)]);
    return true;
  });
  assert.equal(n, out.length);
  return out;
}

test('an empty queue hands out nothing', () => {
  const queue = new RecordQueue();
  assert.equal(queue.length, 0);
  let calls = 0;
  assert.equal(
    queue.drain(() => {
      calls++;
      return true;
    }),
    0,
  );
  assert.equal(calls, 0);
});

test('records come out oldest first across many chunk boundaries, byte for byte', () => {
  const queue = new RecordQueue();
  const expected: number[][] = [];
  // ~300 KiB of records of awkward sizes: several chunks, records ending at every offset.
  for (let i = 0; i < 1500; i++) {
    const data = record((i * 37) % 400, i);
    queue.push(data, data.length);
    expected.push([...data]);
  }
  assert.equal(queue.length, 1500);
  assert.deepEqual(take(queue), expected);
  assert.equal(queue.length, 0);
});

test('a record that exactly fills the rest of a chunk, then one that does not fit, keep their order', () => {
  const queue = new RecordQueue();
  const a = record(CHUNK - 4 - 4 - 10, 1); // with its length word, leaves exactly 4 + 10 bytes
  const b = record(10, 2); // fills the chunk to the byte
  const c = record(1, 3); // needs a new chunk
  for (const r of [a, b, c]) queue.push(r, r.length);
  assert.deepEqual(take(queue), [[...a], [...b], [...c]]);
});

test('records larger than a chunk get a chunk of their own and stay in order', () => {
  const queue = new RecordQueue();
  const small1 = record(10, 1);
  const huge = record(CHUNK * 2 + 3, 2);
  const small2 = record(70, 3);
  const exact = record(CHUNK - 4, 4); // a whole chunk with its length word
  const small3 = record(0, 5);
  const all = [small1, huge, small2, exact, small3];
  for (const r of all) queue.push(r, r.length);
  assert.equal(queue.length, 5);
  assert.deepEqual(
    take(queue),
    all.map((r) => [...r]),
  );
});

test('push copies only the first `len` bytes, on the small and the large path', () => {
  const queue = new RecordQueue();
  const src = record(500, 9);
  queue.push(src, 3);
  queue.push(src, 300);
  queue.push(src, 0);
  src.fill(0); // the queue holds copies
  const original = record(500, 9);
  assert.deepEqual(take(queue), [[...original.subarray(0, 3)], [...original.subarray(0, 300)], []]);
});

test('a taker that refuses leaves that record and all after it queued, for the next drain', () => {
  const queue = new RecordQueue();
  const records = Array.from({ length: 200 }, (_, i) => record(600 + i, i)); // spans two chunks
  for (const r of records) queue.push(r, r.length);
  assert.deepEqual(
    take(queue, 3),
    records.slice(0, 3).map((r) => [...r]),
  );
  assert.equal(queue.length, 197);
  let offered = 0;
  assert.equal(
    queue.drain(() => {
      offered++;
      return false;
    }),
    0,
  );
  assert.equal(offered, 1, 'a refusal ends the drain');
  assert.equal(queue.length, 197);
  // Stop past the first chunk boundary (about 100 of these records fit in a chunk), then take the rest.
  assert.deepEqual(
    take(queue, 120),
    records.slice(3, 123).map((r) => [...r]),
  );
  assert.deepEqual(
    take(queue),
    records.slice(123).map((r) => [...r]),
  );
  assert.equal(queue.length, 0);
});

test('a drained queue is reused: interleaved pushes and drains stay FIFO', () => {
  const queue = new RecordQueue();
  const expected: number[][] = [];
  let seed = 0;
  for (let round = 0; round < 30; round++) {
    // Push more than a chunk's worth some rounds, a few bytes others.
    const count = round % 3 === 0 ? 150 : 5;
    for (let i = 0; i < count; i++) {
      const data = record((seed * 11) % 700, seed);
      seed++;
      queue.push(data, data.length);
      expected.push([...data]);
    }
    // Take some, sometimes all.
    const want = round % 2 === 0 ? Infinity : Math.ceil(expected.length / 2);
    const got = take(queue, want);
    assert.deepEqual(got, expected.splice(0, got.length), `round ${round}`);
    assert.equal(queue.length, expected.length);
  }
  assert.deepEqual(take(queue), expected);
  assert.equal(queue.length, 0);
  // And once more from empty, after the last chunk was reset.
  queue.push(record(5, 1), 5);
  assert.deepEqual(take(queue), [[...record(5, 1)]]);
});
