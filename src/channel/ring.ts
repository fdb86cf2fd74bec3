/**
 * A single-producer single-consumer ring of variable-length records in shared
 * memory. Positions are free-running 32-bit byte counters; a record is a u32
 * length followed by its bytes, padded to 4. A record never wraps: when it does
 * not fit before the end, the producer writes a skip marker and starts again at 0.
 */

const SKIP = 0xffffffff;

function align4(n: number): number {
  return (n + 3) & ~3;
}

export class RingWriter {
  private tail: number;
  /** The consumer's position when last read: reading it costs a cache miss, so only when space runs short. */
  private head: number;
  private readonly mask: number;
  private readonly view: DataView;

  constructor(
    private readonly words: Int32Array,
    private readonly headIndex: number,
    private readonly tailIndex: number,
    private readonly bytes: Uint8Array,
  ) {
    this.tail = Atomics.load(words, tailIndex) >>> 0;
    this.head = Atomics.load(words, headIndex) >>> 0;
    this.mask = bytes.byteLength - 1;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Copies `len` bytes of `src` (from `from`) in as one record and publishes it; false when full. */
  tryWrite(src: Uint8Array, len: number, from = 0): boolean {
    const capacity = this.bytes.byteLength;
    const need = 4 + align4(len);
    let tail = this.tail;
    let offset = tail & this.mask;
    const room = capacity - offset;
    let free = capacity - ((tail - this.head) >>> 0);
    if (free < need + (need > room ? room : 0)) {
      this.head = Atomics.load(this.words, this.headIndex) >>> 0;
      free = capacity - ((tail - this.head) >>> 0);
    }
    if (need > room) {
      if (free < room + need) return false;
      this.view.setUint32(offset, SKIP, true);
      tail = (tail + room) >>> 0;
      offset = 0;
    } else if (free < need) {
      return false;
    }
    this.view.setUint32(offset, len, true);
    const bytes = this.bytes;
    if (len <= 64) {
      // A byte loop beats set(): no subarray to allocate for the common small record.
      for (let i = 0, at = offset + 4 - from; i < len; i++) bytes[at + from + i] = src[from + i]!;
    } else {
      bytes.set(src.subarray(from, from + len), offset + 4);
    }
    this.tail = (tail + need) >>> 0;
    Atomics.store(this.words, this.tailIndex, this.tail | 0);
    return true;
  }
}

export type RecordVisitor = (offset: number, length: number) => void;

export class RingReader {
  private head: number;
  /** The producer's position when last read. */
  private tail: number;
  private readonly mask: number;
  readonly view: DataView;

  constructor(
    private readonly words: Int32Array,
    private readonly headIndex: number,
    private readonly tailIndex: number,
    readonly bytes: Uint8Array,
  ) {
    this.head = Atomics.load(words, headIndex) >>> 0;
    this.tail = this.head;
    this.mask = bytes.byteLength - 1;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  hasData(): boolean {
    if (this.tail !== this.head) return true;
    this.tail = Atomics.load(this.words, this.tailIndex) >>> 0;
    return this.tail !== this.head;
  }

  /**
   * Hands every published record to `visit` (offsets are into `bytes`), then
   * frees them all at once. `visit` must be done with the bytes when it returns.
   */
  drain(visit: RecordVisitor): number {
    const tail = (this.tail = Atomics.load(this.words, this.tailIndex) >>> 0);
    let head = this.head;
    let count = 0;
    while (head !== tail) {
      const offset = head & this.mask;
      const len = this.view.getUint32(offset, true);
      if (len === SKIP) {
        head = (head + this.bytes.byteLength - offset) >>> 0;
        continue;
      }
      head = (head + 4 + align4(len)) >>> 0;
      visit(offset + 4, len);
      count++;
    }
    this.head = head;
    Atomics.store(this.words, this.headIndex, head | 0);
    return count;
  }
}
