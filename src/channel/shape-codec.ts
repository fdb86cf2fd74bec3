/**
 * The shaped encoding, for plain values too big for the compact codec
 * (codec.ts): a config, a list of records, a JSON document. Where V8's clone
 * writes every key of every object and builds each object key by key, this
 * writes an object's keys once per shape (the list of its keys) and each
 * repeated short string once, and the reader builds each object in one step
 * with a function made for its shape (an object literal), so it costs about
 * what reading the values costs. Measured in one thread (64 KiB and 1 MiB of
 * records like the bench's): encode + decode ~2x faster than `v8.serialize`
 * plus `v8.deserialize`.
 *
 * It takes what comes back from structuredClone unchanged and nothing else:
 * primitives, strings, arrays without holes or named properties, objects whose
 * prototype is Object.prototype or null (they come back with Object.prototype,
 * as from a clone), nested up to MAX_DEPTH. Anything else (a Map, a Date, a
 * shared reference, a cycle, a getter that throws) makes writeShaped return
 * false, and the value takes the path it took before (payload-route.ts).
 * @internal
 */
import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './codec.js';
import { SCALAR_TAGS_END } from './value-tags.js';

// Tags 0 to SCALAR_TAGS_END: undefined, null, booleans and numbers, as the compact codec writes them.
/** A string, remembered by both sides under the next string id when short. */
const S_STRING = 6;
/** A string written before: its id. */
const S_STRING_AGAIN = 7;
const S_ARRAY = 8;
/** An object of a new shape: its key count and keys, then its values. */
const S_SHAPE_NEW = 9;
/** An object of a shape written before: its shape id, then its values. */
const S_SHAPE = 10;

/** Deeper than this, the value goes to V8 (whose reader recurses natively, to ~3000 levels). */
const MAX_DEPTH = 128;
/** Strings up to this long are remembered: keys, tags, names repeat; long texts rarely do. */
const REMEMBER_CHARS = 64;
const MAX_REMEMBERED = 1 << 16;

class GiveUp {}
const GIVE_UP = new GiveUp();

/** A node of the shape tree: the shape made of the keys on the way to it. */
class ShapeNode {
  id = -1;
  readonly next = new Map<string, ShapeNode>();
}

class ShapedWriter {
  private readonly seen = new Set<object>();
  private readonly strings = new Map<string, number>();
  private readonly shapes = new ShapeNode();
  private shapeCount = 0;
  /** The last shape found at each depth, with its keys. */
  private readonly lastAt: ({ readonly keys: string[]; readonly node: ShapeNode } | undefined)[] = [];

  constructor(private readonly w: ByteWriter) {}

  value(v: unknown, depth: number): GiveUp | undefined {
    if (this.w.scalar(v)) return;
    if (typeof v === 'string') {
      this.string(v);
      return;
    }
    return typeof v === 'object' ? this.container(v as object, depth) : GIVE_UP;
  }

  private string(s: string): void {
    const w = this.w;
    const id = this.strings.get(s);
    if (id !== undefined) {
      w.u8(S_STRING_AGAIN);
      w.u32(id);
      return;
    }
    if (s.length <= REMEMBER_CHARS && this.strings.size < MAX_REMEMBERED) this.strings.set(s, this.strings.size);
    w.u8(S_STRING);
    w.str(s);
  }

  /**
   * The shape of an object with these keys. Objects at one depth mostly share a shape (the
   * items of a list): comparing the keys with the last shape found at that depth costs far
   * less than a walk down the shape tree (a Map lookup per key).
   */
  private shapeOf(keys: string[], depth: number): ShapeNode {
    const last = this.lastAt[depth];
    if (last !== undefined && sameKeys(last.keys, keys)) return last.node;
    let node = this.shapes;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      let next = node.next.get(key);
      if (next === undefined) {
        next = new ShapeNode();
        node.next.set(key, next);
      }
      node = next;
    }
    this.lastAt[depth] = { keys, node };
    return node;
  }

  private container(v: object, depth: number): GiveUp | undefined {
    // Seen before: a shared reference or a cycle, which only V8's clone keeps.
    if (depth >= MAX_DEPTH || this.seen.has(v)) return GIVE_UP;
    this.seen.add(v);
    const w = this.w;
    const proto = Object.getPrototypeOf(v);
    if (proto === Array.prototype) {
      const arr = v as unknown[];
      const n = arr.length;
      if (Object.keys(arr).length !== n) return GIVE_UP; // holes or named properties
      w.u8(S_ARRAY);
      w.u32(n);
      for (let i = 0; i < n; i++) if (this.value(arr[i], depth + 1) === GIVE_UP) return GIVE_UP;
      return;
    }
    if (proto !== Object.prototype && proto !== null) return GIVE_UP;
    const keys = Object.keys(v);
    const node = this.shapeOf(keys, depth);
    if (node.id >= 0) {
      w.u8(S_SHAPE);
      w.u32(node.id);
    } else {
      node.id = this.shapeCount++;
      w.u8(S_SHAPE_NEW);
      w.u32(keys.length);
      for (let i = 0; i < keys.length; i++) w.str(keys[i]!);
    }
    const record = v as Record<string, unknown>;
    for (let i = 0; i < keys.length; i++) if (this.value(record[keys[i]!], depth + 1) === GIVE_UP) return GIVE_UP;
    return;
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether a value past the compact budget holds objects whose shapes may repeat: a list of
 * records, or an object holding such a list (found by following the only object inside, as in
 * `{ kind, items: [...] }` or an argument list). One wide object or one long list of
 * primitives has nothing to share, and V8's native clone does it faster (a 32-key object
 * echoed, in one thread: ~20 us shaped against ~15 us by v8.serialize; postMessage, which
 * takes it then, costs ~0.6x that). Looks at no more than a few items per level.
 */
export function worthShaping(v: unknown, depth = 0): boolean {
  if (typeof v !== 'object' || v === null || depth > 4) return false;
  let objects = 0;
  let inner: unknown;
  const look = (item: unknown): void => {
    if (typeof item === 'object' && item !== null) {
      objects++;
      inner = item;
    }
  };
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && i < 4; i++) look(v[i]);
  } else {
    let seen = 0;
    for (const key of Object.keys(v)) {
      if (++seen > 16) break;
      look((v as Record<string, unknown>)[key]);
    }
  }
  if (objects >= 2) return true;
  return objects === 1 && worthShaping(inner, depth + 1);
}

/**
 * Appends `value` in the shaped encoding. False when the value holds anything
 * it does not take; then what it wrote must be dropped (the caller rewinds).
 */
export function writeShaped(w: ByteWriter, value: unknown): boolean {
  try {
    return new ShapedWriter(w).value(value, 0) !== GIVE_UP;
  } catch {
    // A getter that threw, a string too long: V8's path reports what is wrong.
    return false;
  }
}

// ---- reading ----

/** Builds an object of one shape from its values, in order. */
type Build = (values: unknown[]) => Record<string, unknown>;

/** Up to this many keys, a shape gets a function that builds its objects as one literal. */
const LITERAL_KEYS = 32;
const MAX_BUILDERS = 1024;
/** Builders by shape (its keys as JSON), shared by every value this thread reads. */
const builders = new Map<string, Build>();
let literalsAllowed = true;

function builderFor(keys: string[]): Build {
  const id = JSON.stringify(keys);
  let build = builders.get(id);
  if (build !== undefined) return build;
  build = keys.length <= LITERAL_KEYS && literalsAllowed ? literalBuilder(keys) ?? keyByKey(keys) : keyByKey(keys);
  if (builders.size >= MAX_BUILDERS) builders.clear();
  builders.set(id, build);
  return build;
}

/**
 * `(v) => ({ "a": v[0], "b": v[1] })`: V8 builds such an object from one
 * boilerplate, with its final hidden class at once. "__proto__" is a computed
 * key there, which makes an own property, as a clone does. Undefined where the
 * process forbids code from strings (--disallow-code-generation-from-strings).
 */
function literalBuilder(keys: string[]): Build | undefined {
  const fields = keys.map((key, i) => `${key === '__proto__' ? '["__proto__"]' : JSON.stringify(key)}: v[${i}]`);
  try {
    return new Function('v', `return { ${fields.join(', ')} };`) as Build;
  } catch {
    literalsAllowed = false;
    return undefined;
  }
}

function keyByKey(keys: string[]): Build {
  return (values) => {
    const obj: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      // Assigning "__proto__" would replace the prototype; clone semantics make it an own property.
      if (key === '__proto__') Object.defineProperty(obj, key, { value: values[i], enumerable: true, writable: true, configurable: true });
      else obj[key] = values[i];
    }
    return obj;
  };
}

class ShapedReader {
  private readonly strings: string[] = [];
  private readonly shapes: { readonly size: number; readonly build: Build }[] = [];

  constructor(private readonly r: ByteReader) {}

  value(): unknown {
    const r = this.r;
    const tag = r.u8();
    if (tag <= SCALAR_TAGS_END) return r.scalar(tag);
    switch (tag) {
      case S_STRING: {
        const s = r.str();
        if (s.length <= REMEMBER_CHARS && this.strings.length < MAX_REMEMBERED) this.strings.push(s);
        return s;
      }
      case S_STRING_AGAIN:
        return this.strings[r.u32()];
      case S_ARRAY: {
        const n = r.u32();
        const arr = new Array<unknown>(n);
        for (let i = 0; i < n; i++) arr[i] = this.value();
        return arr;
      }
      case S_SHAPE_NEW: {
        const n = r.u32();
        const keys = new Array<string>(n);
        for (let i = 0; i < n; i++) keys[i] = r.str();
        const shape = { size: n, build: builderFor(keys) };
        this.shapes.push(shape);
        return this.object(shape);
      }
      case S_SHAPE:
        return this.object(this.shapes[r.u32()]!);
      default:
        throw new Error(`sideloop: corrupt record (shaped value tag ${tag})`);
    }
  }

  private object(shape: { readonly size: number; readonly build: Build }): Record<string, unknown> {
    const values = new Array<unknown>(shape.size);
    for (let i = 0; i < shape.size; i++) values[i] = this.value();
    return shape.build(values);
  }
}

/** Reads a value writeShaped wrote. */
export function readShaped(r: ByteReader): unknown {
  return new ShapedReader(r).value();
}
