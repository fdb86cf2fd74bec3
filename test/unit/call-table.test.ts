// The table of calls in flight, by id.
import { CallTable } from '../../src/channel/call-table.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';

interface Entry {
  readonly id: number;
  readonly tag: string;
}
const entry = (id: number): Entry => ({ id, tag: `call ${id}` });
const ids = (entries: Entry[]) => entries.map((e) => e.id);

test('add and take by id, the same object back, once', () => {
  const table = new CallTable<Entry>();
  const a = entry(1);
  const b = entry(2);
  table.add(a);
  table.add(b);
  assert.equal(table.size, 2);
  assert.equal(table.take(3), undefined, 'an id never added');
  assert.equal(table.take(2), b);
  assert.equal(table.take(2), undefined, 'taken once');
  assert.equal(table.size, 1);
  assert.equal(table.take(1), a);
  assert.equal(table.size, 0);
});

test('an id whose slot holds another call is not mistaken for it', () => {
  const table = new CallTable<Entry>();
  table.add(entry(5));
  assert.equal(table.take(5 + 256), undefined);
  assert.equal(table.take(5 + 2 ** 31), undefined);
  assert.equal(table.size, 1);
  assert.equal(table.take(5)?.id, 5);
});

test('a slot taken by a long-running call: the newer call with the same slot waits aside and is found', () => {
  const table = new CallTable<Entry>();
  const old = entry(7);
  table.add(old); // stays in flight while ids go round the slots
  for (let id = 8; id < 7 + 256; id++) {
    table.add(entry(id));
    assert.equal(table.take(id)?.id, id);
  }
  const clash = entry(7 + 256);
  const clash2 = entry(7 + 512);
  table.add(clash);
  table.add(clash2);
  assert.equal(table.size, 3);
  assert.deepEqual(ids(table.list()).sort((x, y) => x - y), [7, 263, 519]);
  assert.equal(table.take(263), clash, 'found although its slot holds call 7');
  assert.equal(table.size, 2);
  assert.equal(table.take(7), old);
  assert.equal(table.take(519), clash2);
  assert.equal(table.size, 0);
  assert.deepEqual(table.list(), []);
  // The slot is free again: the next call for it goes there and is found.
  table.add(entry(7 + 768));
  assert.equal(table.take(7 + 768)?.id, 775);
});

test('a long-running call and one aside, taken in the other order', () => {
  const table = new CallTable<Entry>();
  table.add(entry(3));
  table.add(entry(3 + 256));
  assert.equal(table.take(3)?.id, 3);
  // Its slot is empty now, but the newer call still waits aside.
  assert.equal(table.take(3 + 256)?.id, 259);
  assert.equal(table.size, 0);
});

test('takeAll hands out every call oldest first, serial-number order across the 2^32 wrap', () => {
  const table = new CallTable<Entry>();
  const order = [2 ** 32 - 3, 2 ** 32 - 2, 2 ** 32 - 1, 0, 1, 2, 255, 256];
  // Added out of order, with two sharing a slot (255 and 2^32 - 1 both map to 255; 0 and 256 to 0).
  for (const id of [1, 256, 2 ** 32 - 1, 2, 0, 2 ** 32 - 3, 255, 2 ** 32 - 2]) table.add(entry(id));
  assert.equal(table.size, 8);
  assert.deepEqual(ids(table.takeAll()), order);
  assert.equal(table.size, 0);
  assert.deepEqual(table.takeAll(), []);
  for (const id of order) assert.equal(table.take(id), undefined);
  // Usable afterwards.
  table.add(entry(9));
  assert.equal(table.take(9)?.id, 9);
});

test('takeAll orders by distance, not by value, for ids 2^31 apart', () => {
  const table = new CallTable<Entry>();
  // 0x7ffffff0 .. 0x8000000f: crossing the signed boundary, still one sequence.
  const order = Array.from({ length: 0x20 }, (_, i) => 0x7ffffff0 + i);
  for (const id of [...order].reverse()) table.add(entry(id));
  assert.deepEqual(ids(table.takeAll()), order);
});

test('the table grows past its first 256 slots and keeps every call findable, across the wrap', () => {
  const table = new CallTable<Entry>();
  const first = 2 ** 32 - 700;
  const all: Entry[] = [];
  for (let i = 0; i < 1500; i++) {
    const e = entry((first + i) >>> 0);
    all.push(e);
    table.add(e);
    assert.equal(table.size, i + 1);
  }
  assert.equal(table.list().length, 1500);
  // Take every other call, then check the rest are all there and come out in order.
  for (let i = 0; i < all.length; i += 2) assert.equal(table.take(all[i]!.id), all[i]);
  assert.equal(table.size, 750);
  const rest = all.filter((_, i) => i % 2 === 1);
  assert.deepEqual(table.takeAll(), rest);
});

test('growth moves calls that waited aside into the larger array and keeps them findable', () => {
  const table = new CallTable<Entry>();
  // Ten calls that all map to slot 0 of the first array, then enough calls to force growth.
  const clashing = Array.from({ length: 10 }, (_, i) => entry(i * 256));
  for (const e of clashing) table.add(e);
  const filler = Array.from({ length: 300 }, (_, i) => entry(100_000 + i * 2 + 1));
  for (const e of filler) table.add(e);
  assert.equal(table.size, 310);
  for (const e of clashing) assert.equal(table.take(e.id), e, `call ${e.id}`);
  for (const e of filler) assert.equal(table.take(e.id), e, `call ${e.id}`);
  assert.equal(table.size, 0);
});
