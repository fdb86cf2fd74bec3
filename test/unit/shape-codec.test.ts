// The shaped encoding (src/channel/shape-codec.ts): plain values past the compact codec's
// budget come back exactly as structuredClone gives them, and whatever it does not take
// (shared references, cycles, holes, named array properties, other types, great depth,
// a getter that throws) goes to V8 as before and keeps structured-clone semantics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ByteReader, ByteWriter } from '../../src/channel/codec.ts';
import { TaskSerializationError } from '../../src/errors.ts';
// @ts-expect-error: a JavaScript fixture without types
import { describe } from '../fixtures/clone-describe.mjs';

const T_V8 = 9;
const T_SHAPED = 10;
const owner = { label: 'task(shape)' };
const describeValue = describe as (value: unknown) => string;

function roundTrip(value: unknown, writer = new ByteWriter()): { copy: unknown; tag: number } {
  writer.reset();
  writer.value(value, 'The result', owner);
  const bytes = writer.copy();
  const reader = new ByteReader(bytes);
  const copy = reader.value();
  assert.equal(reader.pos, bytes.length, 'the reader consumed exactly what was written');
  assert.equal(describeValue(copy), describeValue(structuredClone(value)), 'exactly what structuredClone gives');
  return { copy, tag: bytes[0]! };
}

/** A list of records like a config or an API response: past the budget (10 small objects cost 134). */
const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: i, name: `item-${i}`, on: i % 2 === 0, score: i * 1.5, tags: ['a', 'b', `t${i % 3}`], owner: { id: i % 7, login: `user${i % 7}` } }));

test('a list of records past the budget takes the shaped encoding and comes back as a clone does', () => {
  for (const n of [10, 100, 3000]) assert.equal(roundTrip(records(n)).tag, T_SHAPED, `${n} records`);
  assert.equal(roundTrip({ kind: 'list', items: records(50) }).tag, T_SHAPED);
});

test('what a clone keeps, the shaped encoding keeps: -0, NaN, undefined, key order, integer keys, "__proto__", lone surrogates, null prototypes', () => {
  const lone = '😀'.slice(0, 1);
  const odd = Object.create(null) as Record<string, unknown>;
  odd.z = 1;
  odd['2'] = 'two';
  odd.a = undefined;
  const value = Array.from({ length: 40 }, (_, i) => ({
    zero: -0,
    nan: Number.NaN,
    big: 2 ** 40 + i,
    nothing: undefined,
    text: `${lone}${i}`,
    long: 'é'.repeat(100) + i,
    euro: '€ and 🎉',
    nested: { b: 1, a: 2, 10: 'ten', 9: 'nine' },
    odd,
    proto: JSON.parse(`{"__proto__": {"polluted": ${i}}, "x": 1}`),
  }));
  // `odd` is one object met 40 times: a shared reference, which only V8 keeps.
  assert.equal(roundTrip(value).tag, T_V8);
  const copies = value.map((item) => ({ ...item, odd: Object.assign(Object.create(null), { z: 1, 2: 'two', a: undefined }) }));
  const { copy, tag } = roundTrip(copies);
  assert.equal(tag, T_SHAPED);
  const first = (copy as Record<string, unknown>[])[0]!;
  assert.equal(Object.getPrototypeOf(first.odd), Object.prototype, 'a null-prototype object comes back plain, as from a clone');
  assert.equal(Object.getPrototypeOf(first.proto), Object.prototype, '"__proto__" did not replace the prototype');
  assert.deepEqual(Object.keys(first.proto as object), ['__proto__', 'x']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.ok(Object.is(first.zero, -0));
});

test('shapes that differ in order, in one key or in number all come back right', () => {
  const value = Array.from({ length: 60 }, (_, i) => {
    if (i % 4 === 0) return { a: i, b: i };
    if (i % 4 === 1) return { b: i, a: i };
    if (i % 4 === 2) return { a: i, c: i };
    return { a: i, b: i, c: i };
  });
  assert.equal(roundTrip(value).tag, T_SHAPED);
  const wide = Array.from({ length: 20 }, (_, i) => Object.fromEntries(Array.from({ length: 40 + i }, (_, k) => [`k${k}`, k])));
  assert.equal(roundTrip(wide).tag, T_SHAPED, 'objects of more keys than one literal takes');
});

test('what the shaped encoding does not take goes to V8 and keeps structured-clone semantics', () => {
  const shared = { x: 1 };
  const cyclic: Record<string, unknown>[] = records(20);
  cyclic[5]!.self = cyclic;
  const holey = records(20) as unknown[];
  delete holey[3];
  const named = Object.assign(records(20), { extra: 'kept' });
  const dated = [...records(20), { when: new Date(0) }];
  class Point {
    x = 1;
  }
  const instance = [...records(20), new Point()];
  let deep: unknown = records(20);
  for (let i = 0; i < 200; i++) deep = { deep };
  for (const value of [Array.from({ length: 20 }, () => shared), cyclic, holey, named, dated, instance, deep]) {
    assert.equal(roundTrip(value).tag, T_V8);
  }
});

test('a getter that throws is not swallowed: the value goes to V8, which reports it', () => {
  const value = [...records(20), Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('no'); } })];
  const w = new ByteWriter();
  assert.throws(() => w.value(value, 'The result', owner), (err: unknown) => err instanceof TaskSerializationError || (err as Error).message === 'no');
});

test('a writer that may post gets false for big values the shaped encoding does not take, and true for plain ones', () => {
  const w = new ByteWriter();
  w.reset();
  assert.equal(w.value([...records(20), new Map()], 'The result', owner, false, true), false);
  assert.equal(w.pos, 0, 'nothing written');
  assert.equal(w.value(records(20), 'The result', owner, false, true), true);
  assert.equal(w.buf[0], T_SHAPED);
});

test('random plain values past the budget come back exactly as structuredClone gives them', () => {
  const lone = fc.constantFrom('\ud800', '\udc00', '😀', 'é', 'a', '€');
  const str = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: lone, maxLength: 6 }), fc.string({ maxLength: 80 }));
  const key = fc.oneof(fc.constantFrom('id', 'name', '__proto__', 'constructor', '0', '7', 'length', ''), fc.string({ maxLength: 6 }));
  const leaf = fc.oneof(fc.constantFrom(undefined, null, true, false, -0, 0, Number.NaN, Infinity), fc.integer(), fc.double(), str);
  const { node } = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
    array: fc.array(tie('node'), { maxLength: 6 }),
    object: fc.dictionary(key, tie('node'), { maxKeys: 6, noNullPrototype: false }),
  }));
  // Items past the budget, none shared: each is a fresh structure.
  const big = fc.array(node, { minLength: 20, maxLength: 60 });
  const w = new ByteWriter();
  fc.assert(
    fc.property(big, (value) => {
      roundTrip(value, w);
    }),
    { seed: 13_2026, numRuns: 300 },
  );
});
