/**
 * A FIFO of byte records in local memory: where records wait while their ring
 * is full. Records are packed into large chunks (a u32 length, then the
 * bytes), so holding back a hundred thousand small records costs a few
 * allocations instead of an ArrayBuffer each, and taking from the front is O(1).
 */

const CHUNK_BYTES = 1 << 16;

interface Chunk {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Bytes written. */
  end: number;
}

/** Receives a queued record; returns false to leave it (and all after it) queued. */
export type RecordTaker = (bytes: Uint8Array, offset: number, len: number) => boolean;

export class RecordQueue {
  private readonly chunks: Chunk[] = [];
  /** Read position in chunks[0]. */
  private readAt = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Appends the first `len` bytes of `src`. */
  push(src: Uint8Array, len: number): void {
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || chunk.end + 4 + len > chunk.bytes.byteLength) {
      const bytes = new Uint8Array(Math.max(CHUNK_BYTES, 4 + len));
      chunk = { bytes, view: new DataView(bytes.buffer), end: 0 };
      this.chunks.push(chunk);
    }
    chunk.view.setUint32(chunk.end, len, true);
    const bytes = chunk.bytes;
    const at = chunk.end + 4;
    // A byte loop for small records: set() would need a subarray, an allocation per record.
    if (len <= 64) for (let i = 0; i < len; i++) bytes[at + i] = src[i]!;
    else bytes.set(len === src.byteLength ? src : src.subarray(0, len), at);
    chunk.end += 4 + len;
    this.count++;
  }

  /** Hands records to `take`, oldest first, until it refuses one; returns how many it took. */
  drain(take: RecordTaker): number {
    let taken = 0;
    while (this.count > 0) {
      const chunk = this.chunks[0]!;
      const len = chunk.view.getUint32(this.readAt, true);
      if (!take(chunk.bytes, this.readAt + 4, len)) break;
      taken++;
      this.count--;
      this.readAt += 4 + len;
      if (this.readAt >= chunk.end) this.dropFront();
    }
    return taken;
  }

  private dropFront(): void {
    this.readAt = 0;
    if (this.chunks.length > 1) {
      this.chunks.shift();
    } else {
      this.chunks[0]!.end = 0; // keep one chunk for the next overflow
    }
  }
}
