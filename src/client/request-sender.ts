/**
 * The sending half of a submitting lane: puts request records in the ring
 * when it can; on the side channel for records too big for it, or to stay
 * behind earlier side records (the loop reads the ring, then the side
 * channel, so order is kept that way); and, when the ring is full, in a local
 * queue that moves on as the loop makes room.
 */
import type { ByteWriter } from '../channel/codec.js';
import type { LoopControl } from '../registry/control.js';
import { TaskSerializationError } from '../errors.js';
import type { SideChannel, Transferable } from '../channel/lane.js';
import { BoxWriter, fitsBox } from '../channel/box.js';
import {
  L_ANSWERS_READ,
  L_REQ_BOX,
  L_REQ_BOX_TAKEN,
  L_REQ_HEAD,
  L_REQ_SIDE,
  L_REQ_SIDE_TAKEN,
  L_REQ_TAIL,
  MAX_INLINE_RECORD,
  REQ_BOX_OFFSET,
} from '../channel/protocol.js';
import type { LeadMessage, SideRecord } from '../channel/side-records.js';
import { RecordQueue } from '../channel/record-queue.js';
import { RingWriter } from '../channel/ring.js';

export class RequestSender {
  private readonly ring: RingWriter;
  private readonly box: BoxWriter;
  /** Records posted on the side channel, wrapping as the shared word does. */
  private sideSent = 0;
  /** Whether any was: most lanes never post, and then sending need not read the loop's word. */
  private sidePosted = false;
  /** Requests that met a full ring, oldest first. */
  private readonly backlog = new RecordQueue();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly words: Int32Array,
    ringBytes: Uint8Array,
    header: Uint8Array,
    private readonly side: SideChannel,
    private readonly control: LoopControl,
    /** Called after a record had to wait in the local queue. */
    private readonly onQueued: () => void,
  ) {
    this.ring = new RingWriter(words, L_REQ_HEAD, L_REQ_TAIL, ringBytes);
    this.box = new BoxWriter(words, L_REQ_BOX, header, REQ_BOX_OFFSET);
  }

  /**
   * Sends a small Submit record in the request box, with the count of answers
   * read from the answer box; false when it must go the usual way (too big, or
   * records wait in the local queue or on the side channel and must stay ahead).
   * The caller knows the box is empty: its last boxed call was answered, or taken.
   */
  sendBoxed(w: ByteWriter, answersRead: number): boolean {
    if (!fitsBox(w.pos) || this.backlog.length > 0 || this.sideBusy()) return false;
    this.words[L_ANSWERS_READ] = answersRead;
    this.box.write(w.buf, w.pos);
    return true;
  }

  /** Whether the loop has taken the last boxed request. */
  boxTaken(): boolean {
    return Atomics.load(this.words, L_REQ_BOX_TAKEN) === this.box.sent;
  }

  /** Records waiting in the local queue. */
  get queued(): number {
    return this.backlog.length;
  }

  /**
   * Sends the record in `w`. What waits in the local queue moves on at every
   * later send (so a long burst of submits keeps the loop fed), at every
   * flush() (when results are drained), and on a timer.
   */
  send(w: ByteWriter): void {
    if (this.backlog.length > 0) this.flush();
    if (this.backlog.length === 0) {
      if (w.pos > MAX_INLINE_RECORD || this.sideBusy()) {
        this.spill();
        return this.post({ record: w.copy() });
      }
      if (this.ring.tryWrite(w.buf, w.pos)) return;
    }
    this.backlog.push(w.buf, w.pos);
    this.scheduleFlush();
    this.onQueued();
  }

  /** Moves the local queue into the ring (or behind earlier side records); true when it is empty. */
  flush(): boolean {
    if (this.backlog.drain(this.takeQueued) > 0) this.control.ringIfParked();
    return this.backlog.length === 0;
  }

  /** Sends the whole local queue on the side channel: for when this thread is about to block. */
  spill(): void {
    if (!this.flush()) this.backlog.drain(this.postQueued);
  }

  /** Posts a record (with arguments or a transfer list, when it has them) on the side channel. */
  post(message: SideRecord, transfer?: readonly Transferable[], lead?: LeadMessage): void {
    try {
      this.side.post(message, transfer, lead);
    } catch (err) {
      throw new TaskSerializationError(`A task could not be sent to the loop: ${(err as Error).message}`, '', { cause: err });
    }
    this.sideSent = (this.sideSent + 1) | 0;
    this.sidePosted = true;
    this.publishSide();
  }

  /** Tells the loop how many side records it can receive, and wakes it if it parked. */
  private publishSide(): void {
    Atomics.store(this.words, L_REQ_SIDE, this.sideSent);
    this.control.ringIfParked();
  }

  /** Requests the side channel still holds for the loop: while any do, later ones follow them there, to keep the order. */
  private sideBusy(): boolean {
    return this.sidePosted && this.sideSent !== Atomics.load(this.words, L_REQ_SIDE_TAKEN);
  }

  private readonly takeQueued = (bytes: Uint8Array, offset: number, len: number): boolean => {
    if (!this.sideBusy()) return this.ring.tryWrite(bytes, len, offset);
    this.post({ record: bytes.slice(offset, offset + len) });
    return true;
  };

  private readonly postQueued = (bytes: Uint8Array, offset: number, len: number): boolean => {
    this.post({ record: bytes.slice(offset, offset + len) });
    return true;
  };

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (!this.flush()) this.scheduleFlush();
    }, 1);
    this.flushTimer.unref();
  }
}
