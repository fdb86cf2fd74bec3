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
 * - the fallback is the base `v8.Serializer`, not `v8.serialize`: Node's
 *   DefaultSerializer turns a Buffer back into a Buffer and copies each
 *   typed array's bytes alone (losing its offset and any buffer it shares with
 *   another view), where structured clone gives a Uint8Array over a copy of
 *   the whole ArrayBuffer. Both serializers cost the same.
 */
import v8 from 'node:v8';
import { MessagePort } from 'node:worker_threads';
import { TaskSerializationError } from '../errors.js';
import { serialize } from '../runtime.js';

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT = 4;
const T_NUMBER = 5;
const T_STRING = 6;
const T_ARRAY = 7;
const T_OBJECT = 8;
const T_V8 = 9;

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
/** Set in a string's length word when its bytes are UTF-16 code units (it is not well-formed). */
const UTF16 = 0x80000000;

class Fallback {}
const FALLBACK = new Fallback();

/**
 * Thrown by ByteWriter.value for a value that only postMessage can clone (it
 * holds a SharedArrayBuffer, say): the caller sends it on the side channel.
 * @internal
 */
export class PostMessageOnly extends Error {
  constructor() {
    super('sideloop: this value travels by postMessage');
  }
}

function postMessageClones(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** A growable, reusable scratch buffer that records are encoded into. */
export class ByteWriter {
  buf: Buffer;
  view: DataView;
  pos = 0;
  private containers: object[] = [];
  /** What is left of WORK_BUDGET for the value being written. */
  private budget = 0;

  constructor(size = 1024) {
    this.buf = Buffer.allocUnsafe(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.byteLength) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.byteLength * 2));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
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

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  str(s: string): void {
    this.ensure(4 + s.length * 3);
    // UTF-8 cannot carry a lone surrogate (it would come back as U+FFFD): such strings go as UTF-16.
    if (!s.isWellFormed()) {
      const n = this.buf.write(s, this.pos + 4, 'utf16le');
      this.view.setUint32(this.pos, (n | UTF16) >>> 0, true);
      this.pos += 4 + n;
      return;
    }
    const n = this.buf.write(s, this.pos + 4, 'utf8');
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
   */
  value(value: unknown, role: string, owner: { readonly label: string }, argList = false): void {
    if (this.flat(value, argList)) return;
    const start = this.pos;
    this.containers.length = 0;
    this.budget = WORK_BUDGET;
    try {
      if (this.compact(value, 0) !== FALLBACK) return;
    } catch (err) {
      if (!(err instanceof RangeError)) throw err; // a string too long for compact form
    }
    this.pos = start;
    this.u8(T_V8);
    let data: Buffer;
    try {
      data = cloneBytes(value);
    } catch (err) {
      // V8's serializer refuses SharedArrayBuffers and some host objects that postMessage clones.
      if (postMessageClones(value)) throw new PostMessageOnly();
      const culprit: { value?: unknown } = {};
      // Too deep for the stack: looking for a culprit would overflow it again, level by level.
      const path = err instanceof RangeError ? '' : (findUncloneable(value, '', new Set(), culprit) ?? '');
      const reason = firstLine((err as Error).message);
      // Bun's and Deno's messages may not say what the part is ("needs transfer"): name its class.
      const kind = className(culprit.value);
      const at = (path ? ` at ${path}` : '') + (kind && !reason.includes(kind) ? ` (a ${kind})` : '');
      throw new TaskSerializationError(
        `${role} of ${owner.label} cannot be cloned between threads${at}: ${reason}`,
        path,
        { cause: err },
      );
    }
    this.bytes(data);
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

  private compact(v: unknown, depth: number): Fallback | undefined {
    switch (typeof v) {
      case 'undefined':
        this.u8(T_UNDEFINED);
        return;
      case 'boolean':
        this.u8(v ? T_TRUE : T_FALSE);
        return;
      case 'number':
        if ((v | 0) === v && !Object.is(v, -0)) {
          this.ensure(5);
          this.buf[this.pos++] = T_INT;
          this.view.setInt32(this.pos, v, true);
          this.pos += 4;
        } else {
          this.u8(T_NUMBER);
          this.f64(v);
        }
        return;
      case 'string':
        this.u8(T_STRING);
        this.str(v);
        return;
      case 'object':
        if (v === null) {
          this.u8(T_NULL);
          return;
        }
        return this.container(v, depth);
      default:
        return FALLBACK;
    }
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

/** Reads what ByteWriter wrote, from any byte view (shared or not). */
export class ByteReader {
  pos = 0;
  private buf: Buffer;
  private view: DataView;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  at(pos: number): this {
    this.pos = pos;
    return this;
  }

  u8(): number {
    return this.buf[this.pos++]!;
  }

  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  str(): string {
    const word = this.u32();
    const n = word & ~UTF16;
    const s = this.buf.toString(word & UTF16 ? 'utf16le' : 'utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A private copy of the next length-prefixed bytes. */
  bytes(): Buffer {
    const n = this.u32();
    const copy = Buffer.allocUnsafe(n);
    this.buf.copy(copy, 0, this.pos, this.pos + n);
    this.pos += n;
    return copy;
  }

  value(): unknown {
    const tag = this.u8();
    switch (tag) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT: {
        const v = this.view.getInt32(this.pos, true);
        this.pos += 4;
        return v;
      }
      case T_NUMBER:
        return this.f64();
      case T_STRING:
        return this.str();
      case T_ARRAY: {
        const n = this.u32();
        const arr = new Array<unknown>(n);
        for (let i = 0; i < n; i++) arr[i] = this.value();
        return arr;
      }
      case T_OBJECT: {
        const n = this.u32();
        const obj: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const key = this.str();
          const item = this.value();
          // Assigning "__proto__" would replace the prototype; clone semantics make it an own property.
          if (key === '__proto__') Object.defineProperty(obj, key, { value: item, enumerable: true, writable: true, configurable: true });
          else obj[key] = item;
        }
        return obj;
      }
      case T_V8:
        return cloneFromBytes(this.bytes());
      default:
        throw new Error(`sideloop: corrupt record (value tag ${tag})`);
    }
  }
}

/** Whether an array's own keys are its indices alone (no named properties). Holes are checked item by item. */
function onlyIndices(arr: readonly unknown[]): boolean {
  return Object.keys(arr).length <= arr.length;
}

/**
 * Whether the base v8.Serializer works (Node, Deno; Bun has none). It refuses SharedArrayBuffers
 * itself (no delegate shares them): no walk needed.
 */
const hasBaseSerializer = ((): boolean => {
  try {
    const ser = new v8.Serializer();
    ser.writeHeader();
    ser.writeValue(new Uint8Array(1));
    ser.releaseBuffer();
    return true;
  } catch {
    return false;
  }
})();

/**
 * `value` in V8's structured-clone format, as `structuredClone` would clone
 * it: the base Serializer, whose typed arrays are V8's own (see the top).
 * Throws for what it cannot clone (functions, symbols, SharedArrayBuffers, host objects).
 */
export function cloneBytes(value: unknown): Buffer {
  // Elsewhere the base class may be missing or differ: runtime.ts's serialize refuses shared memory there.
  if (!hasBaseSerializer) return serialize(value);
  const ser = new v8.Serializer();
  ser.writeHeader();
  ser.writeValue(value);
  return ser.releaseBuffer();
}

/** The value `cloneBytes` wrote. */
export function cloneFromBytes(bytes: Uint8Array): unknown {
  if (!hasBaseSerializer) return v8.deserialize(bytes);
  const des = new v8.Deserializer(bytes);
  des.readHeader();
  return des.readValue();
}

/**
 * Whether `value` (or, for an argument list, one of its items) is a string or
 * binary data bigger than `limit` bytes: such values skip our encoding and go
 * on the side channel as they are. Only the top level is looked at: it is cheap.
 */
export function obviouslyBig(value: unknown, limit: number, list = false): boolean {
  if (typeof value === 'string') return value.length > limit;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value.byteLength > limit;
  if (list && Array.isArray(value)) {
    for (let i = 0; i < value.length && i < 16; i++) if (obviouslyBig(value[i], limit)) return true;
  }
  return false;
}

/** Finds the first part of `value` that structured clone rejects, as a path like `[1].user.callback`. */
export function findUncloneable(value: unknown, path = '', seen = new Set<unknown>(), culprit: { value?: unknown } = {}, depth = 0): string | undefined {
  if (typeof value === 'function' || typeof value === 'symbol') {
    culprit.value = value;
    return path || '(value)';
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  // A port is the culprit itself, not what hangs off it (Deno's have own function properties).
  if (value instanceof MessagePort) {
    culprit.value = value;
    return path || '(value)';
  }
  try {
    cloneBytes(value);
    return undefined;
  } catch {
    // Look inside for the culprit; if none of the parts fails, the object itself does.
  }
  // Each level serializes what is under it: past this depth, name the part reached (stays near linear).
  if (depth >= 32) return path || '(value)';
  const entries: Iterable<[unknown, unknown]> =
    value instanceof Map ? value.entries() : value instanceof Set ? [...value].entries() : Object.entries(value);
  for (const [key, item] of entries) {
    const step = Array.isArray(value) || value instanceof Set ? `[${keyText(key)}]` : `.${keyText(key)}`;
    const found = findUncloneable(item, path + step, seen, culprit, depth + 1);
    if (found !== undefined) return found;
  }
  culprit.value = value;
  return path || '(value)';
}

/** The class of an object that is not a plain one ('MessagePort'), for messages; '' otherwise. */
function className(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' && name !== 'Array' ? name : '';
}

/** A key for a path: a Map's key may be any value, even one that String() throws on (a null-prototype object). */
function keyText(key: unknown): string {
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  if (typeof key === 'object' && key !== null) return Array.isArray(key) ? '[array]' : '{object}';
  try {
    return String(key);
  } catch {
    return typeof key;
  }
}

/** V8's clone errors inspect the whole offending object; its first line names it well enough. */
function firstLine(message: string): string {
  const end = message.indexOf('\n');
  return end < 0 ? message : `${message.slice(0, end).replace(/\s*[{[]$/, '')} ...`;
}
