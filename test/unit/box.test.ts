// The one-record box, in one thread: a writer and a reader over one header.
import { BoxReader, BoxWriter, fitsBox } from '../../src/channel/box.ts';
import { BOX_BYTES } from '../../src/channel/protocol.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';

const SEQ = 3;
const OFFSET = 16;

function makeBox(seq = 0) {
  const words = new Int32Array(new SharedArrayBuffer(OFFSET + BOX_BYTES + 8));
  const bytes = new Uint8Array(words.buffer);
  words[SEQ] = seq;
  bytes.fill(0xee, OFFSET, bytes.length);
  return { words, bytes };
}

const record = (len: number, seed: number) => Uint8Array.from({ length: len }, (_, i) => (seed * 31 + i) & 0xff);

test('the box bound is BOX_BYTES', () => {
  assert.equal(BOX_BYTES, 40);
  assert.equal(fitsBox(0), true);
  assert.equal(fitsBox(BOX_BYTES), true);
  assert.equal(fitsBox(BOX_BYTES + 1), false);
  assert.equal(fitsBox(1 << 20), false);
});

test('writer and reader take turns: each record is announced, read in place, and taken', () => {
  const { words, bytes } = makeBox();
  const writer = new BoxWriter(words, SEQ, bytes, OFFSET);
  const reader = new BoxReader(words, SEQ, OFFSET, 0);
  assert.equal(reader.offset, OFFSET);
  assert.equal(reader.hasData(), false);
  assert.equal(writer.sent, 0);
  assert.equal(reader.taken, 0);
  for (let i = 1; i <= 5; i++) {
    const len = i * 8; // up to 40
    const data = record(len, i);
    writer.write(data, len);
    assert.equal(writer.sent, i);
    assert.equal(words[SEQ], i, 'the sequence word announces the record');
    assert.equal(reader.hasData(), true);
    assert.deepEqual([...bytes.subarray(reader.offset, reader.offset + len)], [...data]);
    assert.equal(reader.hasData(), true, 'still there until done()');
    reader.done();
    assert.equal(reader.taken, i);
    assert.equal(reader.hasData(), false);
  }
});

test('write copies exactly `len` bytes to the record offset and touches nothing around it', () => {
  const { words, bytes } = makeBox();
  const writer = new BoxWriter(words, SEQ, bytes, OFFSET);
  const src = record(64, 7);
  writer.write(src, 12);
  assert.deepEqual([...bytes.subarray(OFFSET, OFFSET + 12)], [...src.subarray(0, 12)]);
  assert.ok(
    bytes.subarray(OFFSET + 12).every((b) => b === 0xee),
    'bytes after the record untouched',
  );
  assert.deepEqual([...bytes.subarray(0, 12)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'the words before it untouched');
  assert.equal(words[SEQ], 1);
});

test('a writer and reader made later pick up the sequence where it stands', () => {
  const { words, bytes } = makeBox(41);
  const writer = new BoxWriter(words, SEQ, bytes, OFFSET);
  assert.equal(writer.sent, 41);
  // The writer wrote one before the reader existed: the reader is told 41 were taken.
  writer.write(record(4, 1), 4);
  const reader = new BoxReader(words, SEQ, OFFSET, 41);
  assert.equal(reader.hasData(), true);
  reader.done();
  assert.equal(reader.taken, 42);
  assert.equal(reader.hasData(), false);
  // A reader that was told everything was taken sees nothing.
  const caughtUp = new BoxReader(words, SEQ, OFFSET, 42);
  assert.equal(caughtUp.hasData(), false);
});

test('the sequence number wraps at 2^31 on both sides', () => {
  const { words, bytes } = makeBox(0x7fffffff);
  const writer = new BoxWriter(words, SEQ, bytes, OFFSET);
  const reader = new BoxReader(words, SEQ, OFFSET, 0x7fffffff);
  assert.equal(reader.hasData(), false);
  writer.write(record(1, 1), 1);
  assert.equal(writer.sent, -(2 ** 31));
  assert.equal(words[SEQ], -(2 ** 31));
  assert.equal(reader.hasData(), true);
  reader.done();
  assert.equal(reader.taken, -(2 ** 31));
  assert.equal(reader.hasData(), false);
  writer.write(record(2, 2), 2);
  assert.equal(reader.hasData(), true);
  reader.done();
  assert.equal(reader.taken, -(2 ** 31) + 1);
  assert.equal(reader.hasData(), false);
});
