/**
 * Encodes values into bytes for the rings. Structured clone (`v8.serialize`)
 * costs microseconds even for a number, so the common shapes (primitives,
 * plain arrays and objects of them) get a compact encoding of their own, and
 * everything else falls back to V8's own serializer, which keeps
 * structured-clone semantics: shared references, cycles, Maps, typed arrays,
 * Dates, and so on.
 *
 * Every value comes back exactly as `structuredClone` gives it, whichever
 * path it took (test/fidelity-clone.test.mjs compares them on random values):
 * - strings keep lone surrogates: a string that is not well-formed UTF-16 is
 *   written as UTF-16 code units (the length word's top bit says so), the
 *   rest as UTF-8;
 * - arrays with holes or extra named properties are left to V8;
 * - the fallback is the base `v8.Serializer` (v8-clone.ts says why).
 *
 * Plain values past the compact budget take the shaped encoding
 * (shape-codec.ts). Which values skip this encoding and go to postMessage as
 * they are: payload-route.ts. Why a value cannot be cloned: clone-errors.ts.
 * The tags: value-tags.ts; the reader: byte-reader.ts.
 */
import { cloneFailure } from './clone-errors.js';
import { worthShaping, writeShaped } from './shape-codec.js';
import { cloneBytes } from './v8-clone.js';
import { LATIN1, T_ARRAY, T_FALSE, T_INT, T_NULL, T_NUMBER, T_OBJECT, T_SHAPED, T_STRING, T_TRUE, T_UNDEFINED, T_V8, UTF16 } from './value-tags.js';

export { ByteReader } from './byte-reader.js';

/** Containers per value the compact encoding handles before handing over to v8. */
const MAX_CONTAINERS = 64;
/**
 * Work per value the compact encoding takes on before handing over to V8, whose
 * native clone builds big containers faster than our JavaScript reader does:
 * each container costs 4, each array item 1, each object key 8. Measured
 * (bench/payload.mjs, encode + decode): the compact path wins up to ~8-12 keys
 * in an object, ~64-128 numbers in an array, ~4-8 small objects in an array;
 * beyond, V8 wins, by up to 16x (512 keys). docs/fidelity.md has the figures.
 */
const WORK_BUDGET = 128;
const COST_CONTAINER = 4;
const COST_KEY = 8;
const MAX_DEPTH = 8;
/**
 * Matches a character Latin-1 cannot hold. V8 answers at once, without a scan, for a string
 * stored one byte per character (it cannot match one), so most strings pay nothing for it; a
 * one-byte string then goes as Latin-1, a plain copy each way, where UTF-8 costs ~2x (1 KiB:
 * ~170 ns write + read against ~300 ns, bench/payload.mjs).
 */
const NOT_LATIN1 = /[\u0100-\uffff]/;

class Fallback {}
const FALLBACK = new Fallback();

/** A growable, reusable scratch buffer that records are encoded into. */
export class ByteWriter {
  buf: Buffer;
  view: DataView;
  pos = 0;
  private capacity: number;
  private containers: object[] = [];
  /** What is left of WORK_BUDGET for the value being written. */
  private budget = 0;

  constructor(size = 1024) {
    this.buf = Buffer.allocUnsafe(size);
    this.capacity = size;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    // A field, not buf.byteLength: that is a call into a builtin, on every byte written.
    if (need <= this.capacity) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.capacity * 2));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.capacity = next.byteLength;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  str(s: string): void {
    if (!NOT_LATIN1.test(s)) {
      this.ensure(4 + s.length);
      const n = this.buf.write(s, this.pos + 4, 'latin1');
      this.view.setUint32(this.pos, (n | LATIN1) >>> 0, true);
      this.pos += 4 + n;
      return;
    }
    this.ensure(4 + s.length * 3);
    // UTF-8 cannot carry a lone surrogate (it would come back as U+FFFD): such strings go as UTF-16.
    if (!s.isWellFormed()) {
      const n = this.buf.write(s, this.pos + 4, 'utf16le');
      this.view.setUint32(this.pos, (n | UTF16) >>> 0, true);
      this.pos += 4 + n;
      return;
    }
    const n = this.buf.write(s, this.pos + 4, 'utf8');
    if (n >= LATIN1) throw new RangeError('sideloop: a string too long for the compact form'); // the fallback takes it
    this.view.setUint32(this.pos, n, true);
    this.pos += 4 + n;
  }

  bytes(b: Uint8Array): void {
    this.u32(b.byteLength);
    this.ensure(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
  }

  /** A copy of the bytes written so far, with a buffer of its own (cheap to post). */
  copy(): Uint8Array {
    return new Uint8Array(this.buf.subarray(0, this.pos));
  }

  /**
   * Appends `value`. Throws TaskSerializationError (with the path of the
   * offending part) when it cannot be cloned; the message calls it
   * "`role` of `owner.label`" (built only then: labels are long).
   * `argList` says `value` is an argument list sideloop made itself (rest
   * parameters): it has no holes and no named properties, so the flat path
   * need not look for them.
   * `mayPost` says the caller can send the value itself by postMessage: then a
   * value too big for the compact encoding is not written, and value() returns
   * false (see payload-route.ts for why); otherwise it returns true.
   */
  value(value: unknown, role: string, owner: { readonly label: string }, argList = false, mayPost = false): boolean {
    if (this.flat(value, argList)) return true;
    const start = this.pos;
    this.containers.length = 0;
    this.budget = WORK_BUDGET;
    try {
      if (this.compact(value, 0) !== FALLBACK) return true;
    } catch (err) {
      if (!(err instanceof RangeError)) throw err; // a string too long for compact form
    }
    this.pos = start;
    if (this.overBudget()) {
      // Past the budget: the shaped encoding for a plain collection; else V8's clone, by postMessage where the caller can (payload-route.ts).
      if (worthShaping(value)) {
        this.u8(T_SHAPED);
        if (writeShaped(this, value)) return true;
        this.pos = start;
      }
      if (mayPost) return false;
    }
    this.u8(T_V8);
    let data: Buffer;
    try {
      data = cloneBytes(value);
    } catch (err) {
      throw cloneFailure(value, err, role, owner);
    }
    this.bytes(data);
    return true;
  }

  /** Whether the compact walk gave up for the value's size (not for a type it does not encode). */
  private overBudget(): boolean {
    return this.budget < 0 || this.containers.length >= MAX_CONTAINERS;
  }

  /**
   * The commonest argument list, a short array of numbers and short strings,
   * written without the bookkeeping of the general path. False when `v` is anything else.
   */
  private flat(v: unknown, argList: boolean): boolean {
    if (!Array.isArray(v) || v.length > 8 || Object.getPrototypeOf(v) !== Array.prototype) return false;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const t = typeof item;
      if (t === 'string') {
        if ((item as string).length >= 256 || !(item as string).isWellFormed()) return false;
      } else if (!(t === 'number' || t === 'boolean' || item === null)) return false;
    }
    // Holes read as undefined and fail above; named properties need a look at the keys.
    if (!argList && !onlyIndices(v)) return false;
    this.ensure(5 + v.length * 800);
    const buf = this.buf;
    const view = this.view;
    let pos = this.pos;
    buf[pos] = T_ARRAY;
    view.setUint32(pos + 1, v.length, true);
    pos += 5;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (typeof item === 'number') {
        if ((item | 0) === item && !Object.is(item, -0)) {
          buf[pos] = T_INT;
          view.setInt32(pos + 1, item, true);
          pos += 5;
        } else {
          buf[pos] = T_NUMBER;
          view.setFloat64(pos + 1, item, true);
          pos += 9;
        }
      } else if (typeof item === 'string') {
        buf[pos] = T_STRING;
        const n = buf.write(item, pos + 5, 'utf8');
        view.setUint32(pos + 1, n, true);
        pos += 5 + n;
      } else {
        buf[pos++] = item === null ? T_NULL : item ? T_TRUE : T_FALSE;
      }
    }
    this.pos = pos;
    return true;
  }

  /**
   * Writes undefined, null, a boolean or a number with its tag (the shaped encoding uses the
   * same tags for them); false for anything else.
   */
  scalar(v: unknown): boolean {
    switch (typeof v) {
      case 'undefined':
        this.u8(T_UNDEFINED);
        return true;
      case 'boolean':
        this.u8(v ? T_TRUE : T_FALSE);
        return true;
      case 'number':
        if ((v | 0) === v && !Object.is(v, -0)) {
          this.u8(T_INT);
          this.i32(v);
        } else {
          this.u8(T_NUMBER);
          this.f64(v);
        }
        return true;
      case 'object':
        if (v !== null) return false;
        this.u8(T_NULL);
        return true;
      default:
        return false;
    }
  }

  private compact(v: unknown, depth: number): Fallback | undefined {
    if (this.scalar(v)) return;
    if (typeof v === 'string') {
      this.u8(T_STRING);
      this.str(v);
      return;
    }
    return typeof v === 'object' ? this.container(v as object, depth) : FALLBACK;
  }

  private container(v: object, depth: number): Fallback | undefined {
    if (depth >= MAX_DEPTH || this.containers.length >= MAX_CONTAINERS) return FALLBACK;
    // A container seen twice is a shared reference or a cycle: only v8 keeps those.
    if (this.containers.includes(v)) return FALLBACK;
    this.containers.push(v);
    const proto = Object.getPrototypeOf(v);
    if (proto === Array.prototype) {
      const arr = v as unknown[];
      if ((this.budget -= COST_CONTAINER + arr.length) < 0) return FALLBACK;
      if (!onlyIndices(arr)) return FALLBACK; // named properties: structured clone keeps them
      this.u8(T_ARRAY);
      this.u32(arr.length);
      for (let i = 0; i < arr.length; i++) {
        const item = arr[i];
        if (item === undefined && !(i in arr)) return FALLBACK; // holes
        if (this.compact(item, depth + 1) === FALLBACK) return FALLBACK;
      }
      return;
    }
    if (proto === Object.prototype || proto === null) {
      const keys = Object.keys(v);
      if ((this.budget -= COST_CONTAINER + keys.length * COST_KEY) < 0) return FALLBACK;
      this.u8(T_OBJECT);
      this.u32(keys.length);
      for (const key of keys) {
        this.str(key);
        if (this.compact((v as Record<string, unknown>)[key], depth + 1) === FALLBACK) return FALLBACK;
      }
      return;
    }
    return FALLBACK;
  }
}

/** Whether an array's own keys are its indices alone (no named properties). Holes are checked item by item. */
function onlyIndices(arr: readonly unknown[]): boolean {
  return Object.keys(arr).length <= arr.length;
}
