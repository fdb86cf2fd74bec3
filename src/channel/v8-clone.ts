/**
 * V8's structured-clone format, for the values the compact codec leaves to V8.
 *
 * The base `v8.Serializer`, not `v8.serialize`: Node's DefaultSerializer turns
 * a Buffer back into a Buffer and copies each typed array's bytes alone
 * (losing its offset and any buffer it shares with another view), where
 * structured clone gives a Uint8Array over a copy of the whole ArrayBuffer.
 * Both serializers cost the same.
 */
import { serialize, v8 } from '../runtime.js';

/**
 * Whether the base v8.Serializer works (Node, Deno; Bun has none). It refuses SharedArrayBuffers
 * itself (no delegate shares them): no walk needed.
 */
let baseSerializer: boolean | undefined;
function hasBaseSerializer(): boolean {
  if (baseSerializer !== undefined) return baseSerializer;
  try {
    const ser = new (v8().Serializer)();
    ser.writeHeader();
    ser.writeValue(new Uint8Array(1));
    ser.releaseBuffer();
    baseSerializer = true;
  } catch {
    baseSerializer = false;
  }
  return baseSerializer;
}

/**
 * `value` in V8's structured-clone format, as `structuredClone` would clone
 * it: the base Serializer, whose typed arrays are V8's own (see the top).
 * Throws for what it cannot clone (functions, symbols, SharedArrayBuffers, host objects).
 */
export function cloneBytes(value: unknown): Buffer {
  // Elsewhere the base class may be missing or differ: runtime.ts's serialize refuses shared memory there.
  if (!hasBaseSerializer()) return serialize(value);
  const ser = new (v8().Serializer)();
  ser.writeHeader();
  ser.writeValue(value);
  return ser.releaseBuffer();
}

/** The value `cloneBytes` wrote. */
export function cloneFromBytes(bytes: Uint8Array): unknown {
  if (!hasBaseSerializer()) return markedBuffers(bytes) ? asUint8Arrays(v8().deserialize(bytes)) : v8().deserialize(bytes);
  const des = new (v8().Deserializer)(bytes);
  des.readHeader();
  return des.readValue();
}

/**
 * Whether Bun's v8.serialize wrote Buffers into `bytes`: it then starts them with 0xFF 'BUN', and
 * its v8.deserialize gives them back as Buffers, where structured clone gives Uint8Arrays.
 */
function markedBuffers(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0x42 && bytes[2] === 0x55 && bytes[3] === 0x4e;
}

/**
 * Turns every Buffer in a freshly deserialized value into the Uint8Array structured clone gives
 * (same object, same bytes: only its prototype changes, so shared identities stay shared).
 * A loop, not recursion: the value may be nested deeper than the stack.
 */
function asUint8Arrays(value: unknown): unknown {
  const seen = new Set<object>();
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (Buffer.isBuffer(v)) Object.setPrototypeOf(v, Uint8Array.prototype);
    else if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue;
    else if (v instanceof Map) for (const [k, item] of v) todo.push(k, item);
    else if (v instanceof Set) for (const item of v) todo.push(item);
    else for (const item of Object.values(v)) todo.push(item);
  }
  return value;
}
