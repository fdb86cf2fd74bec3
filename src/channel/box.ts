/**
 * A one-record box inside a lane's header: a lone call's request (or its
 * answer) travels in the same cache line as the word that announces it, so a
 * blocking round trip moves one line each way, as a bare shared-memory
 * handoff does, where the rings move two (their data and their position).
 *
 * The box holds one record at a time: the writer may write again only once it
 * knows the reader has taken the last one (BOX_BYTES in protocol.ts says how).
 * A record carries no length: it is read as it was written, field by field.
 */
import { BOX_BYTES } from './protocol.js';

export class BoxWriter {
  private seq: number;

  constructor(
    private readonly words: Int32Array,
    /** Word index of the sequence number. */
    private readonly seqIndex: number,
    private readonly bytes: Uint8Array,
    /** Byte offset of the record in `bytes`. */
    private readonly offset: number,
  ) {
    this.seq = Atomics.load(words, seqIndex);
  }

  /** Records written so far. */
  get sent(): number {
    return this.seq;
  }

  /** Copies `len` bytes of `src` in and publishes them. The caller checks `len <= BOX_BYTES`. */
  write(src: Uint8Array, len: number): void {
    const bytes = this.bytes;
    for (let i = 0, at = this.offset; i < len; i++) bytes[at + i] = src[i]!;
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.words, this.seqIndex, this.seq);
  }
}

export class BoxReader {
  private seen: number;

  constructor(
    private readonly words: Int32Array,
    private readonly seqIndex: number,
    /** Byte offset of the record in the lane's header bytes. */
    readonly offset: number,
    /** Records taken before this reader was made: the writer may have written before the reader existed. */
    taken: number,
  ) {
    this.seen = taken;
  }

  /** Records taken so far. */
  get taken(): number {
    return this.seen;
  }

  hasData(): boolean {
    return Atomics.load(this.words, this.seqIndex) !== this.seen;
  }

  /** Marks the waiting record taken; the writer learns it from elsewhere. */
  done(): void {
    this.seen = (this.seen + 1) | 0;
  }
}

export function fitsBox(len: number): boolean {
  return len <= BOX_BYTES;
}
