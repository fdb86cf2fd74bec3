/**
 * What the loop writes back on one lane: results, failures and task output, in
 * the order the submitter must read them. An answer goes in the answer box
 * when its request came in the box, else in the ring; held back (in order)
 * while the ring is full; on the side channel when too big for the ring. Then
 * the submitter is woken where it waits. loop-lane.ts reads the requests.
 * @internal
 */
import { ByteWriter } from '../channel/codec.js';
import { PostMessageOnly, obviouslyBig } from '../channel/payload-route.js';
import { toErrorData } from '../channel/error-codec.js';
import { TaskSerializationError } from '../errors.js';
import type { LaneViews, SideChannel, Transferable } from '../channel/lane.js';
import { BoxWriter, fitsBox } from '../channel/box.js';
import {
  L_ANSWERS_READ,
  L_RES_BOX,
  RES_BOX_OFFSET,
  L_RES_BACKLOG,
  L_RES_HEAD,
  L_RES_SEQ,
  L_OUT_SEQ,
  L_OUT_WAITING,
  L_RES_SIDE,
  L_RES_SIDE_TAKEN,
  L_RES_TAIL,
  L_WAITING,
  L_WAKE_ROW,
  MAX_INLINE_RECORD,
  WAIT_ASYNC,
  WAIT_SYNC,
} from '../channel/protocol.js';
import { type OutStream, writeErr, writeOk, writeOkOnSide, writeOutput } from '../channel/records.js';
import { type LeadMessage, type SideRecord, packLead } from '../channel/side-records.js';
import { RecordQueue } from '../channel/record-queue.js';
import { cutIntoPieces } from '../channel/pieces.js';
import { unsupportedError } from '../runtime.js';
import { RingWriter } from '../channel/ring.js';
import { wakeRow } from '../channel/wake.js';

const scratch = new ByteWriter(4096);
/** Records a lane holds back (full ring) before task output for it goes the Worker's usual way. */
const MAX_HELD_RECORDS = 1 << 16;
// Task output has its own: a getter read while a result is encoded may write to the console.
const outScratch = new ByteWriter(4096);

export class LaneAnswers {
  private readonly words: Int32Array;
  private readonly results: RingWriter;
  /** The answer to a lone request: see BOX_BYTES in protocol.ts. */
  private readonly answers: BoxWriter;
  /** The call that came in the box, until it is answered; -1 when none. */
  private boxCallId = -1;
  /** The submitter has read every answer boxed so far (it said so with the boxed request). */
  private answerBoxFree = false;
  private resultsOnSide = 0;
  /** Results that met a full ring, oldest first. */
  private readonly backlog = new RecordQueue();
  /** Results written since the submitter was last told. */
  private unannounced = false;
  /** Task output written since a submitter waiting only for output was last told. */
  private outputUnannounced = false;
  /** A result was written since the last request taken: the submitter has something to take, and then to send. */
  answeredSinceRequest = false;

  constructor(
    views: LaneViews,
    private readonly side: SideChannel,
    /** The registry's thread wake words (channel/wake.ts): a blocked submitter parks on its own. */
    private readonly wakeWords?: Int32Array,
  ) {
    this.words = views.words;
    this.results = new RingWriter(views.words, L_RES_HEAD, L_RES_TAIL, views.results);
    this.answers = new BoxWriter(views.words, L_RES_BOX, views.header, RES_BOX_OFFSET);
  }

  /** Call `callId` came in the box: its answer goes there if the submitter has read the last one. */
  boxed(callId: number): void {
    this.boxCallId = callId;
    this.answerBoxFree = Atomics.load(this.words, L_ANSWERS_READ) === this.answers.sent;
  }

  ok(callId: number, value: unknown, owner: { readonly label: string }): void {
    const sideReadable = this.side.readsWhileBlocked;
    if (sideReadable && obviouslyBig(value, MAX_INLINE_RECORD)) return this.postValue(callId, value);
    const w = scratch.reset();
    try {
      // Too big for the compact encoding, it goes as it is: postMessage's native clone costs less
      // (payload-route.ts). Where postMessage refuses it, the codec says why (or sends its bytes).
      if (!writeOk(w, callId, value, owner, sideReadable)) {
        if (this.tryPostValue(callId, value)) return;
        writeOk(scratch.reset(), callId, value, owner);
      }
    } catch (err) {
      // What v8.serialize refuses but postMessage clones (a SharedArrayBuffer, say) goes on the side channel.
      if (err instanceof PostMessageOnly) {
        if (sideReadable) this.postValue(callId, value);
        else this.fail(callId, sharedToBlockedThread());
      } else {
        this.fail(callId, err instanceof TaskSerializationError ? err : new TaskSerializationError(String(err), '', { cause: err }));
      }
      return;
    }
    // A record too big for the ring goes on the side channel as the bytes already made (publish):
    // cloning the value again would serialize it twice, and the submitter decodes these bytes
    // where a failure (a value too deep for its stack) rejects this one call. Where a blocked
    // submitter cannot read the side channel (Bun, Deno), it goes through the ring in pieces.
    this.publish(callId, w);
  }

  private publishInPieces(callId: number, w: ByteWriter): void {
    if (callId === this.boxCallId) this.boxCallId = -1;
    this.unannounced = true;
    cutIntoPieces(callId, w.copy(), (piece) => {
      if (this.backlog.length === 0 && this.results.tryWrite(piece.buf, piece.pos)) return;
      this.backlog.push(piece.buf, piece.pos);
    });
    this.flush();
  }

  /** postValue, or false when postMessage refuses the value (a function in it, say). */
  private tryPostValue(callId: number, value: unknown): boolean {
    try {
      this.postValue(callId, value);
      return true;
    } catch {
      return false;
    }
  }

  private postValue(callId: number, value: unknown): void {
    if (callId === this.boxCallId) this.boxCallId = -1;
    this.spill(); // task output held back goes first, so the caller has it when its call settles
    const w = scratch.reset();
    writeOkOnSide(w, callId);
    const { lead, transfer } = packLead(value, false, this.side.canTransfer);
    this.post({ record: w.copy() }, lead, transfer);
    this.unannounced = true;
  }

  /** `cancelled`: the task was counted as cancelled, and its record says so (see Res.ErrCancelled). */
  fail(callId: number, error: unknown, cancelled = false): void {
    const w = scratch.reset();
    try {
      writeErr(w, callId, toErrorData(error), cancelled);
    } catch (err) {
      // toErrorData never throws and keeps only what clones; this is the last guard for the loop.
      w.reset();
      writeErr(w, callId, toErrorData(new TaskSerializationError(`The error thrown by a task could not be sent: ${String((err as Error)?.message)}`, '')), cancelled);
    }
    this.publish(callId, w);
  }

  /** Writes the answer to call `callId`: in the answer box when it came in the box and there is room. */
  private publish(callId: number, w: ByteWriter): void {
    this.unannounced = true;
    this.answeredSinceRequest = true;
    if (callId === this.boxCallId) {
      this.boxCallId = -1;
      // Not while task output is held back: the caller reads the box first and would return before it.
      if (this.answerBoxFree && fitsBox(w.pos) && this.backlog.length === 0) {
        this.answerBoxFree = false;
        return this.answers.write(w.buf, w.pos);
      }
    }
    if (w.pos > MAX_INLINE_RECORD) {
      return this.side.readsWhileBlocked ? this.post({ record: w.copy() }) : this.publishInPieces(callId, w);
    }
    if (this.backlog.length === 0 && this.results.tryWrite(w.buf, w.pos)) return;
    this.backlog.push(w.buf, w.pos);
    this.flush();
  }

  /**
   * Sends what a task wrote to stdout or stderr. Unlike results, output must
   * arrive in the order it was written, and before the result that follows
   * it: the submitter reads the ring before the side channel, so output goes
   * on the side channel (a write too big for the ring) only after what is held
   * back, and stays there until the submitter has taken every side record.
   */
  output(stream: OutStream, chunk: string | Uint8Array): boolean {
    // A submitter that takes nothing (its thread has exited, or never returns to its event
    // loop) must not make the loop hold its output without end: past this, it goes the usual way.
    if (this.backlog.length >= MAX_HELD_RECORDS) return false;
    const w = outScratch.reset();
    writeOutput(w, stream, chunk);
    this.unannounced = true;
    this.outputUnannounced = true;
    if (!this.side.readsWhileBlocked) {
      // A blocked submitter cannot read this side channel (Bun, Deno): output never goes there.
      if (w.pos > MAX_INLINE_RECORD) {
        this.publishInPieces(0, w);
        return true;
      }
    } else if (w.pos > MAX_INLINE_RECORD || Atomics.load(this.words, L_RES_SIDE_TAKEN) !== this.resultsOnSide) {
      this.spill();
      this.post({ record: w.copy() });
      return true;
    }
    if (this.backlog.length === 0 && this.results.tryWrite(w.buf, w.pos)) return true;
    this.backlog.push(w.buf, w.pos);
    this.flush();
    return true;
  }

  private post(message: SideRecord, lead?: LeadMessage, transfer?: readonly Transferable[]): void {
    this.side.post(message, transfer, lead);
    this.resultsOnSide = (this.resultsOnSide + 1) | 0;
    Atomics.store(this.words, L_RES_SIDE, this.resultsOnSide);
  }

  /**
   * Moves held results into the ring; returns how many moved. When some stay,
   * the flag asks the submitter to ring after it reads; setting it before the
   * last try means a submitter that read just before still leaves room that
   * try sees.
   */
  flush(): number {
    let sent = this.backlog.drain(this.toRing);
    if (this.backlog.length > 0) {
      Atomics.store(this.words, L_RES_BACKLOG, 1);
      sent += this.backlog.drain(this.toRing);
    }
    if (sent > 0) this.unannounced = true;
    if (this.backlog.length === 0) Atomics.store(this.words, L_RES_BACKLOG, 0);
    return sent;
  }

  private readonly toRing = (bytes: Uint8Array, offset: number, len: number): boolean => this.results.tryWrite(bytes, len, offset);

  get hasBacklog(): boolean {
    return this.backlog.length > 0;
  }

  /** Sends held results on the side channel, in order: the loop is about to exit, or what follows must not overtake them. */
  spill(): void {
    this.backlog.drain((bytes, offset, len) => {
      this.post({ record: bytes.slice(offset, offset + len) });
      return true;
    });
  }

  /**
   * Wakes the submitter if it waits for results. A submitter that polls sees
   * them in the ring; one about to wait sets its flag before it looks there a
   * last time, and the results were published before the flag is read here,
   * so one of the two sees the other (Atomics are sequentially consistent).
   */
  announce(): void {
    if (!this.unannounced) return;
    this.unannounced = false;
    if (this.outputUnannounced) this.announceOutput();
    const waiting = Atomics.load(this.words, L_WAITING);
    if (waiting !== 0) this.wakeSubmitter(waiting);
  }

  /** Wakes a submitter whose event loop waits for output while nothing else waits (output-watcher.ts). */
  private announceOutput(): void {
    this.outputUnannounced = false;
    if (Atomics.load(this.words, L_OUT_WAITING) === 0) return;
    Atomics.add(this.words, L_OUT_SEQ, 1);
    Atomics.notify(this.words, L_OUT_SEQ);
  }

  /** Wakes the submitter regardless (the loop is ending, or now listens on the side channel). */
  wake(): void {
    this.wakeSubmitter(Atomics.load(this.words, L_WAITING) | WAIT_ASYNC);
  }

  /**
   * Bumps the lane's sequence word and wakes who waits: an awaiting poller
   * waits on that word; a blocked submitter on its thread's wake word, when
   * it has one (L_WAKE_ROW), so that a thread that finds this loop dead can
   * wake it too.
   */
  private wakeSubmitter(waiting: number): void {
    Atomics.add(this.words, L_RES_SEQ, 1);
    const row = this.wakeWords === undefined ? -1 : Atomics.load(this.words, L_WAKE_ROW) - 1;
    if (row < 0 || (waiting & WAIT_ASYNC) !== 0) Atomics.notify(this.words, L_RES_SEQ);
    if (row >= 0 && (waiting & WAIT_SYNC) !== 0) wakeRow(this.wakeWords!, row);
  }
}

/** Where only postMessage can carry a result and a blocked thread cannot read what it carries. */
const sharedToBlockedThread = (): Error =>
  unsupportedError(
    'A SharedArrayBuffer in the result of a task submitted from a thread that did not start the loop',
    'such a result travels on a BroadcastChannel, which this runtime cannot read while the thread waits',
  );
