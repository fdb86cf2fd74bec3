/**
 * V8's structured-clone format, for the values the compact codec leaves to V8.
 *
 * The base `v8.Serializer`, not `v8.serialize`: Node's DefaultSerializer turns
 * a Buffer back into a Buffer and copies each typed array's bytes alone
 * (losing its offset and any buffer it shares with another view), where
 * structured clone gives a Uint8Array over a copy of the whole ArrayBuffer.
 * Both serializers cost the same.
 */
import v8 from 'node:v8';
import { serialize } from '../runtime.js';

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
