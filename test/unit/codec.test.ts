// The value codec: compact encodings for common shapes, v8.serialize for the rest.
import { ByteReader, ByteWriter } from '../../src/channel/codec.ts';
import { findUncloneable } from '../../src/channel/clone-errors.ts';
import { PostMessageOnly, obviouslyBig } from '../../src/channel/payload-route.ts';
import { TaskSerializationError } from '../../src/errors.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';

/** The first byte of an encoded value says which encoding it got; 9 is "v8.serialize". */
const T_V8 = 9;
/** Plain values past the compact budget (shape-codec.ts). */
const T_SHAPED = 10;
const owner = { label: 'task(unit)' };

function encode(value: unknown, writer = new ByteWriter()): Uint8Array {
  writer.reset();
  writer.value(value, 'The arguments', owner);
  return writer.copy();
}

/** Round trip through the codec; checks it matches structuredClone and returns the copy and its tag. */
function roundTrip(value: unknown): { copy: unknown; tag: number } {
  const bytes = encode(value);
  const reader = new ByteReader(bytes);
  const copy = reader.value();
  assert.equal(reader.pos, bytes.length, 'the reader consumed exactly what was written');
  assert.deepStrictEqual(copy, structuredClone(value));
  return { copy, tag: bytes[0]! };
}

test('primitives round-trip on the compact path', () => {
  const values = [undefined, null, true, false, 0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 0.5, -0, Number.NaN, Infinity, -Infinity, Number.MAX_VALUE, '', 'héllo ✓ 🎉'];
  for (const value of values) {
    const { copy, tag } = roundTrip(value);
    assert.notEqual(tag, T_V8, `${String(value)} stays compact`);
    assert.ok(Object.is(copy, value), `${String(value)} comes back as itself`);
  }
});

test('the exact bytes of the compact encodings', () => {
  assert.deepEqual([...encode(undefined)], [0]);
  assert.deepEqual([...encode(null)], [1]);
  assert.deepEqual([...encode(false)], [2]);
  assert.deepEqual([...encode(true)], [3]);
  assert.deepEqual([...encode(-2)], [4, 0xfe, 0xff, 0xff, 0xff]);
  assert.deepEqual([...encode(1.5)], [5, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
  // A string Latin-1 holds goes as Latin-1 (0x40 in the length word's top byte), others as UTF-8.
  assert.deepEqual([...encode('hé')], [6, 2, 0, 0, 0x40, 0x68, 0xe9]);
  assert.deepEqual([...encode('h€')], [6, 4, 0, 0, 0, 0x68, 0xe2, 0x82, 0xac]);
  // The flat path (a short list of primitives) writes its short strings as UTF-8: the reader takes both.
  assert.deepEqual([...encode([7, 'a', null])], [7, 3, 0, 0, 0, 4, 7, 0, 0, 0, 6, 1, 0, 0, 0, 0x61, 1]);
  assert.deepEqual([...encode({ k: true })], [8, 1, 0, 0, 0, 1, 0, 0, 0x40, 0x6b, 3]);
});

test('short argument lists of primitives (the flat path) round-trip, -0 and floats included', () => {
  const lists = [[], [1, 2, 3], [-0, 0.1, NaN, -Infinity], ['a', 'é', '🎉'], [true, false, null], ['x'.repeat(255)], [1, 'two', 3.5, null, true, false, -7, '']];
  for (const list of lists) {
    const { copy, tag } = roundTrip(list);
    assert.equal(tag, 7, 'encoded as an array');
    assert.ok(Object.is((copy as unknown[])[0], list[0]));
  }
});

test('lists the flat path declines still round-trip: long, with long strings, undefined, objects, holes', () => {
  assert.equal(roundTrip(Array.from({ length: 20 }, (_, i) => i * 1.5)).tag, 7);
  assert.equal(roundTrip(['y'.repeat(300), 1]).tag, 7);
  assert.equal(roundTrip([undefined, 1]).tag, 7);
  assert.equal(roundTrip([{ a: 1 }, [2, [3]]]).tag, 7);
  // biome-ignore lint/suspicious/noSparseArray: the hole is what this checks
  const holey = [1, , 3];
  const { copy, tag } = roundTrip(holey);
  assert.equal(tag, T_V8, 'holes need v8');
  assert.equal(1 in (copy as unknown[]), false, 'the hole is still a hole');
});

test('nested plain objects and arrays round-trip compactly; null-prototype objects come back plain', () => {
  const value = { a: 1, b: [1, 'two', { c: null, d: [true, undefined] }], e: { f: { g: 'deep' } }, '': 0, '0': 'key' };
  assert.equal(roundTrip(value).tag, 8);
  const bare = Object.assign(Object.create(null), { x: 1 });
  const { copy, tag } = roundTrip(bare);
  assert.equal(tag, 8);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype, 'as structuredClone gives it');
});

test('a "__proto__" key comes back as an own property, without touching the prototype', () => {
  const value = JSON.parse('{"__proto__": {"polluted": true}, "plain": 1}');
  const { copy, tag } = roundTrip(value);
  assert.equal(tag, 8);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.deepEqual(Object.keys(copy as object), ['__proto__', 'plain']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('shared references and cycles fall back to v8 and keep their identity', () => {
  const shared = { n: 1 };
  const { copy, tag } = roundTrip({ a: shared, b: shared });
  assert.equal(tag, T_V8);
  const c = copy as { a: object; b: object };
  assert.equal(c.a, c.b);

  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const bytes = encode(cyclic);
  assert.equal(bytes[0], T_V8);
  const back = new ByteReader(bytes).value() as Record<string, unknown>;
  assert.equal(back.self, back);
  assert.equal(back.name, 'loop');
});

test('values deeper than 8 containers fall back to v8; plain collections past the budget take the shaped encoding, one wide object or list does not; all round-trip', () => {
  let deep: unknown = 'bottom';
  for (let i = 0; i < 8; i++) deep = [deep];
  assert.equal(roundTrip(deep).tag, 7, '8 levels stay compact');
  assert.equal(roundTrip([deep]).tag, T_V8, '9 levels do not');

  // The budget is 128: a container costs 4, an array item 1, an object key 8 (measured: see codec.ts).
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));
  assert.equal(roundTrip(rows(9)).tag, 7, '9 small objects in a list stay compact (4 + 9 + 9 * 12 = 121)');
  assert.equal(roundTrip(rows(10)).tag, T_SHAPED, '10 do not (134)');
  const keyed = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
  assert.equal(roundTrip(keyed(15)).tag, 8, 'an object of 15 keys stays compact (124)');
  assert.equal(roundTrip(keyed(16)).tag, T_V8, '16 keys do not (132): one wide object, nothing to share, V8');
  const nums = (n: number) => Array.from({ length: n }, (_, i) => i + 0.5);
  assert.equal(roundTrip(nums(124)).tag, 7, '124 numbers stay compact (128)');
  assert.equal(roundTrip(nums(125)).tag, T_V8, '125 do not: V8');
  assert.equal(roundTrip({ kind: 'list', items: rows(10) }).tag, T_SHAPED, 'a list of records inside an object: shaped');
  assert.equal(roundTrip([...rows(10), new Date(0)]).tag, T_V8, 'past the budget with a Date in it: V8');
});

test('everything else structured clone knows falls back to v8 and round-trips', () => {
  const values: unknown[] = [
    10n,
    [1, 2n],
    new Map([[1, { a: 2 }]]),
    new Set(['x']),
    new Date(86_400_000),
    /re/gi,
    new Uint16Array([1, 2, 65535]),
    new Float64Array([0.5]),
    new ArrayBuffer(3),
    new Error('boom'),
    { wrapped: new Number(3) },
    new (class Point {
      x = 1;
    })(),
  ];
  for (const value of values) {
    const bytes = encode(value);
    assert.equal(bytes[0], T_V8, `${Object.prototype.toString.call(value)} uses v8`);
    const copy = new ByteReader(bytes).value();
    if (value instanceof Error) {
      assert.equal((copy as Error).message, 'boom');
      assert.ok(copy instanceof Error);
    } else {
      assert.deepStrictEqual(copy, structuredClone(value));
    }
  }
  // The typed array keeps its class.
  assert.ok(new ByteReader(encode(new Uint16Array([1]))).value() instanceof Uint16Array);
});

test('strings of every storage round-trip: one-byte, two-byte within Latin-1, beyond it, lone surrogates', () => {
  const twoByteLatin1 = ('é€'.repeat(300) + 'ÿ').replace(/€/g, ''); // made two-byte, holds only Latin-1
  for (const s of ['', 'ascii', 'ÿé\u0000\u0080', twoByteLatin1, 'x'.repeat(5000), 'é'.repeat(5000), '€😀', 'a\ud800b', '\udc00']) {
    const { copy } = roundTrip({ s, list: [s, 1] });
    assert.equal((copy as { s: string }).s, s);
  }
});

test('a long string round-trips: the writer grows to fit it', () => {
  const big = 'z'.repeat(1 << 20);
  const { copy, tag } = roundTrip({ big });
  assert.equal(tag, 8);
  assert.equal((copy as { big: string }).big.length, 1 << 20);
});

test('lone surrogates survive the round trip as structuredClone keeps them', () => {
  for (const value of ['\ud800', 'a\udc00b', ['\ud83d'], { k: '\udfff' }, { '\ud800': 1 }, ['x'.repeat(300) + '\udc00']]) {
    const { copy } = roundTrip(value);
    assert.equal(JSON.stringify(copy), JSON.stringify(value), 'every code unit, lone surrogates included');
  }
  // The argument-list fast path too.
  const w = new ByteWriter();
  w.value(['\ud800', 1], 'The arguments', owner, true);
  assert.equal(JSON.stringify(new ByteReader(w.copy()).value()), JSON.stringify(['\ud800', 1]));
});

test('arrays with properties of their own keep them, as structuredClone does', () => {
  for (const value of [Object.assign([1, 2], { extra: 'prop' }), Object.assign([{}], { p: 1 }), { list: Object.assign([1], { p: 1 }) }]) {
    roundTrip(value);
  }
  const holey: unknown[] = [1];
  holey[2] = 3;
  (holey as unknown as Record<string, unknown>).x = 1; // as many keys as items: the hole must still be seen
  assert.deepStrictEqual(roundTrip(holey).copy, structuredClone(holey));
});

// On Bun too, which has no base v8.Serializer: its v8.serialize keeps views' offsets and shared
// buffers, and the Buffers it gives back become the Uint8Arrays structured clone gives (v8-clone.ts).
test('Buffers come back as the Uint8Array structuredClone gives, and views keep their offset and shared buffer', () => {
  const copy = new ByteReader(encode(Buffer.from('hi'))).value();
  assert.equal(Object.getPrototypeOf(copy), Uint8Array.prototype);
  const memory = new ArrayBuffer(16);
  const [a, b] = new ByteReader(encode([new Uint8Array(memory, 4, 4), new DataView(memory, 8)])).value() as [Uint8Array, DataView];
  assert.equal(a.byteOffset, 4);
  assert.equal(a.buffer.byteLength, 16);
  assert.equal(a.buffer, b.buffer, 'two views of one buffer still share it');
});

test('a value only postMessage can clone (a SharedArrayBuffer) is handed back to the caller, not refused', () => {
  assert.throws(() => encode({ shared: new SharedArrayBuffer(8) }), PostMessageOnly);
  assert.throws(() => encode(new Map([[Object.create(null), new SharedArrayBuffer(8)]])), PostMessageOnly);
});

test('the writer grows its buffer and is reusable after reset()', () => {
  const writer = new ByteWriter(8);
  const big = { text: 'q'.repeat(5000), list: Array.from({ length: 30 }, (_, i) => i) };
  const first = encode(big, writer);
  assert.ok(writer.buf.byteLength >= first.length);
  assert.deepStrictEqual(new ByteReader(first).value(), big);
  const second = encode(42, writer);
  assert.deepEqual([...second], [4, 42, 0, 0, 0]);
  // copy() owns its bytes: writing again does not change an earlier copy.
  assert.deepStrictEqual(new ByteReader(first).value(), big);
});

test('several values in one record are read back in sequence, from any offset', () => {
  const writer = new ByteWriter(16);
  writer.u32(0xdeadbeef);
  writer.value([1, 'a'], 'The arguments', owner);
  writer.value({ b: [2.5] }, 'The result', owner);
  writer.value(new Map([['m', 1]]), 'The result', owner);
  writer.bytes(Uint8Array.of(9, 8, 7));
  writer.f64(-1.25);
  writer.u8(200);
  writer.str('end');
  // Read from a buffer where the record starts at an offset, as a ring hands it out.
  const shared = new Uint8Array(new SharedArrayBuffer(writer.pos + 12));
  shared.set(writer.buf.subarray(0, writer.pos), 12);
  const reader = new ByteReader(shared).at(12);
  assert.equal(reader.u32(), 0xdeadbeef);
  assert.deepEqual(reader.value(), [1, 'a']);
  assert.deepEqual(reader.value(), { b: [2.5] });
  assert.deepEqual(reader.value(), new Map([['m', 1]]));
  assert.deepEqual([...reader.bytes()], [9, 8, 7]);
  assert.equal(reader.f64(), -1.25);
  assert.equal(reader.u8(), 200);
  assert.equal(reader.str(), 'end');
  assert.equal(reader.pos, shared.length);
});

test('an unknown tag is reported as a corrupt record', () => {
  assert.throws(() => new ByteReader(Uint8Array.of(42)).value(), { message: 'sideloop: corrupt record (value tag 42)' });
});

test('uncloneable values throw TaskSerializationError naming the owner and the path', () => {
  const cases: [unknown, string][] = [
    [[1, () => 1], '[1]'],
    [{ user: { callback() {} } }, '.user.callback'],
    [[1, { s: Symbol('s') }], '[1].s'],
    [new Map([['k', { f: () => 0 }]]), '.k.f'],
    [new Set([1, () => 0]), '[1]'],
  ];
  for (const [value, path] of cases) {
    assert.throws(
      () => encode(value),
      (err: unknown) => {
        assert.ok(err instanceof TaskSerializationError);
        assert.equal(err.path, path);
        assert.match(err.message, new RegExp(`^The arguments of task\\(unit\\) cannot be cloned between threads at ${path.replace(/[[\].]/g, '\\$&')}: `));
        assert.ok(err.cause instanceof Error, 'the clone error is the cause');
        return true;
      },
    );
  }
  // A function alone has no path; the message says so by leaving "at" out.
  assert.throws(
    () => encode(() => 1),
    (err: unknown) => {
      assert.ok(err instanceof TaskSerializationError);
      assert.equal(err.path, '(value)');
      return true;
    },
  );
});

test('the writer is usable after a value failed to encode', () => {
  const writer = new ByteWriter();
  assert.throws(() => encode({ f() {} }, writer), TaskSerializationError);
  assert.deepEqual([...encode(true, writer)], [3]);
});

test('findUncloneable names the first offending part, or nothing', () => {
  assert.equal(findUncloneable(1), undefined);
  assert.equal(findUncloneable({ a: [1, new Date(0)] }), undefined);
  assert.equal(findUncloneable(() => 0), '(value)');
  assert.equal(findUncloneable(Symbol('s')), '(value)');
  assert.equal(findUncloneable({ a: 1, b: [2, 3, { c: () => 0 }] }), '.b[2].c');
  assert.equal(findUncloneable([{ ok: 1 }, { bad: Symbol('x') }, () => 0]), '[1].bad');
  assert.equal(findUncloneable(new Map<unknown, unknown>([[1, 'fine'], ['fn', () => 0]])), '.fn');
  assert.equal(findUncloneable(new Set([1, 2, () => 0])), '[2]');
  // A Map key that String() throws on (a null-prototype object) still gives a path.
  assert.equal(findUncloneable(new Map([[Object.create(null), () => 0]])), '.{object}');
  // An object that cannot be cloned although none of its parts is: the object itself.
  assert.equal(findUncloneable({ list: [1, new WeakMap()] }), '.list[1]');
  // Cycles do not loop forever.
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  cyclic.fn = () => 0;
  assert.equal(findUncloneable(cyclic), '.fn');
  assert.equal(findUncloneable({ x: 1 }, 'args'), undefined);
  assert.equal(findUncloneable({ x: () => 0 }, 'args'), 'args.x');
});

test('obviouslyBig looks at strings and binary data at the top level (and, for lists, their first 16 items)', () => {
  assert.equal(obviouslyBig('x'.repeat(10), 10), false);
  assert.equal(obviouslyBig('x'.repeat(11), 10), true);
  assert.equal(obviouslyBig(new ArrayBuffer(11), 10), true);
  assert.equal(obviouslyBig(new Uint8Array(10), 10), false);
  assert.equal(obviouslyBig(new Float64Array(2), 10), true, 'bytes, not elements');
  assert.equal(obviouslyBig(new DataView(new ArrayBuffer(11)), 10), true);
  assert.equal(obviouslyBig(12345678901, 10), false);
  assert.equal(obviouslyBig({ s: 'x'.repeat(100) }, 10), false, 'not inside objects');
  const list = [1, 'x'.repeat(11)];
  assert.equal(obviouslyBig(list, 10), false, 'a list is looked into only when asked');
  assert.equal(obviouslyBig(list, 10, true), true);
  assert.equal(obviouslyBig([[new ArrayBuffer(100)]], 10, true), false, 'one level only');
  const late = [...Array.from({ length: 16 }, () => 0), 'x'.repeat(11)];
  assert.equal(obviouslyBig(late, 10, true), false, 'items past the 16th are not looked at');
  assert.equal(obviouslyBig(late.slice(1), 10, true), true);
});

test('a caller that may post gets false, and nothing written, for containers past the budget that are not shaped', () => {
  const w = new ByteWriter();
  const wide = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i]));
  const long = Array.from({ length: 200 }, (_, i) => i);
  const when = new Date(0);
  const rows = Array.from({ length: 70 }, () => ({}));
  // One wide object or list (nothing to share), and collections holding what the shaped encoding does not take.
  for (const big of [wide, long, [wide], [...rows, when], { rows, m: new Map() }]) {
    w.reset();
    w.u8(1);
    assert.equal(w.value(big, 'The result', owner, false, true), false);
    assert.equal(w.pos, 1, 'nothing written after what came before');
    w.reset();
    assert.equal(w.value(big, 'The result', owner), true, 'without mayPost it is written (by v8)');
    assert.equal(w.buf[0], T_V8);
  }
  // Plain collections past the budget are written, shaped.
  for (const big of [rows, { rows }, [wide, wide].map((o) => ({ ...o }))]) {
    w.reset();
    assert.equal(w.value(big, 'The result', owner, false, true), true);
    assert.equal(w.buf[0], T_SHAPED);
  }
  // Small values, and values V8 takes for their type (not their size), are still written.
  for (const small of [1, 'x'.repeat(1000), { a: 1, b: [1, 2] }, [new Date(0)], { m: new Map([[1, 2]]) }, Array.from({ length: 100 }, (_, i) => i)]) {
    w.reset();
    assert.equal(w.value(small, 'The result', owner, false, true), true);
    assert.deepStrictEqual(new ByteReader(w.copy()).value(), structuredClone(small));
  }
});
