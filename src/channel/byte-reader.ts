/**
 * Reads what ByteWriter (codec.ts) wrote, on either side of a lane.
 * @internal
 */
import { readShaped } from './shape-codec.js';
import { cloneFromBytes } from './v8-clone.js';
import { LATIN1, SCALAR_TAGS_END, T_ARRAY, T_FALSE, T_INT, T_NULL, T_OBJECT, T_SHAPED, T_STRING, T_TRUE, T_UNDEFINED, T_V8, UTF16 } from './value-tags.js';

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

  i32(): number {
    const v = this.view.getInt32(this.pos, true);
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
    const n = word & ~(UTF16 | LATIN1);
    const s = this.buf.toString(word & UTF16 ? 'utf16le' : word & LATIN1 ? 'latin1' : 'utf8', this.pos, this.pos + n);
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

  /** Reads what ByteWriter.scalar wrote after its tag (`tag` <= SCALAR_TAGS_END). */
  scalar(tag: number): unknown {
    switch (tag) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT:
        return this.i32();
      default:
        return this.f64();
    }
  }

  value(): unknown {
    const tag = this.u8();
    if (tag <= SCALAR_TAGS_END) return this.scalar(tag);
    switch (tag) {
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
      case T_SHAPED:
        return readShaped(this);
      default:
        throw new Error(`sideloop: corrupt record (value tag ${tag})`);
    }
  }
}
