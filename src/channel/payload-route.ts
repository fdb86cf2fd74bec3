/**
 * Which way a value travels between threads: encoded into a record (the box,
 * a ring, or the side channel as record bytes), or handed as it is to
 * `postMessage` on the lane's side channel, which clones it natively.
 *
 * - Primitives, strings and small plain arrays and objects: the compact codec
 *   (codec.ts), a few times faster than any clone.
 * - Big strings and binary data (over a ring record): postMessage, at once
 *   (obviouslyBig): one native copy beats our encoding.
 * - Plain values past the compact codec's work budget: the shaped encoding
 *   (shape-codec.ts), which writes each object shape and each repeated short
 *   string once and builds objects from literals: ~2x faster than V8's clone in
 *   one thread; a blocking echo of 64 KiB of records 1.28x synckit's, where
 *   postMessage was 0.89x (issue 13).
 * - Containers past the budget that hold anything else (ByteWriter.value
 *   returns false when the caller may post): postMessage. Measured (issue 13,
 *   docs/performance.md): Node's own message serializer and deserializer cost
 *   0.6x what `v8.Serializer`/`v8.Deserializer` plus our record bytes cost, from
 *   a 16-key object (~500 bytes) to 1 MiB, end to end and in one thread.
 * - Other types (Dates, Maps, shared references...) in small values: V8's
 *   serializer into the record, as before.
 * - Results where a blocked thread cannot read the side channel (Bun, Deno):
 *   the record, as before (readsWhileBlocked).
 * @internal
 */

/**
 * Thrown by ByteWriter.value for a value that only postMessage can clone (it
 * holds a SharedArrayBuffer, say): the caller sends it on the side channel.
 */
export class PostMessageOnly extends Error {
  constructor() {
    super('sideloop: this value travels by postMessage');
  }
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
