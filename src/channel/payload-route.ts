/**
 * Which way a value travels between threads: encoded into a record (the box,
 * a ring, or the side channel as record bytes), or handed as it is to
 * `postMessage` on the lane's side channel, which clones it natively.
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
