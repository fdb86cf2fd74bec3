// The shared-memory ring, in one thread: a writer and a reader over one buffer.
import { RingReader, RingWriter } from '../../src/channel/ring.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';

const HEAD = 0;
const TAIL = 1;
const SKIP = 0xffffffff;

/** A ring of `capacity` bytes whose head and tail words both start at `start`. */
function makeRing(capacity: number, start = 0) {
  const words = new Int32Array(new SharedArrayBuffer(8));
  words[HEAD] = start | 0;
  words[TAIL] = start | 0;
  const bytes = new Uint8Array(new SharedArrayBuffer(capacity));
  const writer = new RingWriter(words, HEAD, TAIL, bytes);
  const reader = new RingReader(words, HEAD, TAIL, bytes);
  const head = () => words[HEAD]! >>> 0;
  const tail = () => words[TAIL]! >>> 0;
  /** Every published record, as copies, with the offset it was read at. */
  const drain = () => {
    const out: { offset: number; data: number[] }[] = [];
    const n = reader.drain((offset, length) => out.push({ offset, data: [...bytes.subarray(offset, offset + length)] }));
    assert.equal(n, out.length);
    return out;
  };
  return { words, bytes, writer, reader, head, tail, drain };
}

/** `len` bytes that differ from record to record: seed, seed+1, ... (mod 256). */
function record(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (seed + i * 7) & 0xff;
  return out;
}

const align4 = (n: number) => (n + 3) & ~3;

test('records of every size from 0 to 300 bytes come out whole, in order, at the offsets the format gives', () => {
  const ring = makeRing(1024);
  // A model of the producer position: where each record's length word must land.
  let pos = 0;
  for (let len = 0; len <= 300; len++) {
    const data = record(len, len);
    let offset = pos % 1024;
    if (offset + 4 + align4(len) > 1024) {
      pos += 1024 - offset;
      offset = 0;
    }
    assert.equal(ring.writer.tryWrite(data, len), true, `record of ${len} bytes`);
    pos += 4 + align4(len);
    assert.equal(ring.tail(), pos >>> 0);
    assert.equal(ring.reader.hasData(), true);
    assert.deepEqual(ring.drain(), [{ offset: offset + 4, data: [...data] }]);
    assert.equal(ring.head(), pos >>> 0);
    assert.equal(ring.reader.hasData(), false);
  }
});

test('a batch of mixed sizes, written until full and drained at once, keeps every byte', () => {
  const ring = makeRing(4096);
  const sizes = [0, 1, 2, 3, 4, 5, 63, 64, 65, 100, 255, 1000, 7, 129];
  let seed = 0;
  for (let round = 0; round < 40; round++) {
    const expected: number[][] = [];
    for (let i = 0; ; i++) {
      const data = record(sizes[(round + i) % sizes.length]!, seed++);
      if (!ring.writer.tryWrite(data, data.length)) break;
      expected.push([...data]);
    }
    assert.ok(expected.length > 0);
    assert.deepEqual(
      ring.drain().map((r) => r.data),
      expected,
    );
  }
});

test('tryWrite copies `len` bytes starting at `from`, on both copy paths', () => {
  const ring = makeRing(1024);
  const src = record(400, 3);
  assert.equal(ring.writer.tryWrite(src, 10, 5), true); // byte loop (<= 64)
  assert.equal(ring.writer.tryWrite(src, 200, 150), true); // set()
  assert.deepEqual(
    ring.drain().map((r) => r.data),
    [[...src.subarray(5, 15)], [...src.subarray(150, 350)]],
  );
});

test('a record that does not fit before the end leaves a skip marker and starts at 0', () => {
  const ring = makeRing(64);
  assert.equal(ring.writer.tryWrite(record(20, 1), 20), true); // bytes 0..24
  assert.equal(ring.writer.tryWrite(record(20, 2), 20), true); // bytes 24..48
  assert.equal(ring.drain().length, 2);
  assert.equal(ring.head(), 48);
  // 16 bytes left before the end; this record needs 4 + 16 = 20.
  const data = record(16, 3);
  assert.equal(ring.writer.tryWrite(data, 16), true);
  const view = new DataView(ring.bytes.buffer);
  assert.equal(view.getUint32(48, true), SKIP, 'skip marker where the record did not fit');
  assert.equal(view.getUint32(0, true), 16, 'length word at the start of the ring');
  assert.equal(ring.tail(), 64 + 20, 'the skipped bytes count as written');
  assert.deepEqual(ring.drain(), [{ offset: 4, data: [...data] }]);
  assert.equal(ring.head(), 84);
});

test('a record that fills exactly to the end needs no skip marker', () => {
  const ring = makeRing(64);
  assert.equal(ring.writer.tryWrite(record(28, 1), 28), true); // 0..32
  assert.equal(ring.drain().length, 1);
  assert.equal(ring.writer.tryWrite(record(28, 2), 28), true); // 32..64
  assert.equal(ring.tail(), 64);
  assert.equal(ring.writer.tryWrite(record(4, 3), 4), true); // 0..8
  assert.deepEqual(
    ring.drain().map((r) => r.offset),
    [36, 4],
  );
});

test('a full ring refuses a record and leaves everything as it was', () => {
  const ring = makeRing(64);
  for (let i = 0; i < 4; i++) assert.equal(ring.writer.tryWrite(record(12, i), 12), true); // 4 x 16 bytes
  const before = [...ring.bytes];
  assert.equal(ring.writer.tryWrite(record(0, 9), 0), false, 'even an empty record needs its length word');
  assert.equal(ring.tail(), 64);
  assert.deepEqual([...ring.bytes], before);
  assert.deepEqual(
    ring.drain().map((r) => r.data),
    [0, 1, 2, 3].map((i) => [...record(12, i)]),
  );
  assert.equal(ring.writer.tryWrite(record(12, 4), 12), true, 'room again once the reader has drained');
  assert.deepEqual(
    ring.drain().map((r) => r.data),
    [[...record(12, 4)]],
  );
});

test('a record that fits in the free bytes but not before the end (nor after a skip) is refused without a skip marker', () => {
  const ring = makeRing(64);
  assert.equal(ring.writer.tryWrite(record(24, 1), 24), true); // 0..28
  ring.drain(); // head 28
  assert.equal(ring.writer.tryWrite(record(20, 2), 20), true); // 28..52
  // 40 bytes free, 32 needed, but only 12 before the end and 28 at the start.
  const before = [...ring.bytes];
  assert.equal(ring.writer.tryWrite(record(28, 3), 28), false);
  assert.equal(ring.tail(), 52);
  assert.deepEqual([...ring.bytes], before, 'no skip marker written');
  assert.deepEqual(
    ring.drain().map((r) => r.data),
    [[...record(20, 2)]],
  );
  // Now head = tail = 52: the skip (12) plus the record (32) fit.
  assert.equal(ring.writer.tryWrite(record(28, 3), 28), true);
  assert.equal(ring.tail(), 52 + 12 + 32);
  assert.deepEqual(ring.drain(), [{ offset: 4, data: [...record(28, 3)] }]);
});

test('a record bigger than the ring is refused', () => {
  const ring = makeRing(64);
  assert.equal(ring.writer.tryWrite(record(61, 1), 61), false);
  assert.equal(ring.writer.tryWrite(record(60, 1), 60), true);
  assert.deepEqual(
    ring.drain().map((r) => r.data),
    [[...record(60, 1)]],
  );
});

test('positions are free-running 32-bit counters: records pass through the 2^32 wrap byte for byte', () => {
  const start = 2 ** 32 - 200;
  const ring = makeRing(256, start);
  assert.equal(ring.reader.hasData(), false);
  let pos = start;
  let sawWrap = false;
  for (let i = 0; i < 60; i++) {
    const len = (i * 13) % 90;
    const data = record(len, i);
    let offset = pos % 256;
    if (offset + 4 + align4(len) > 256) {
      pos += 256 - offset;
      offset = 0;
    }
    assert.equal(ring.writer.tryWrite(data, len), true, `record ${i}`);
    pos += 4 + align4(len);
    if (pos >= 2 ** 32) sawWrap = true;
    assert.equal(ring.tail(), pos % 2 ** 32, `tail after record ${i}`);
    assert.deepEqual(ring.drain(), [{ offset: offset + 4, data: [...data] }], `record ${i}`);
    assert.equal(ring.head(), pos % 2 ** 32);
  }
  assert.ok(sawWrap, 'the test went through the wrap');
  assert.ok(ring.tail() < 10_000, 'the tail word wrapped to a small number');
});

test('a full ring is recognised across the 2^32 wrap, and drains in order', () => {
  // Head just below 2^32, tail past it: free space is computed modulo 2^32.
  const ring = makeRing(64, 2 ** 32 - 16);
  const written: number[][] = [];
  for (let i = 0; ; i++) {
    const data = record(8, i);
    if (!ring.writer.tryWrite(data, 8)) break;
    written.push([...data]);
  }
  // 12 bytes at 48..60, a 4-byte skip, then 4 x 12 from 0 (past 2^32): the ring is full.
  assert.equal(written.length, 5);
  assert.equal(ring.tail(), 48);
  assert.deepEqual(
    ring.drain().map((r) => r.data),
    written,
  );
  assert.equal(ring.head(), 48);
  assert.equal(ring.writer.tryWrite(record(8, 99), 8), true);
  assert.deepEqual(
    ring.drain().map((r) => r.data),
    [[...record(8, 99)]],
  );
});

test('a reader and writer made on words that already hold positions start there', () => {
  const first = makeRing(128, 1000);
  assert.equal(first.writer.tryWrite(record(5, 5), 5), true);
  // A second reader on the same words (as a restarted loop would make) sees the unread record.
  const again = new RingReader(first.words, HEAD, TAIL, first.bytes);
  const seen: number[][] = [];
  assert.equal(again.hasData(), true);
  assert.equal(
    again.drain((offset, len) => seen.push([...first.bytes.subarray(offset, offset + len)])),
    1,
  );
  assert.deepEqual(seen, [[...record(5, 5)]]);
  assert.equal(first.head(), 1012);
});
