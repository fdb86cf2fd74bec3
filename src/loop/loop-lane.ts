/**
 * The loop's end of a lane: reads requests in the order they were sent (the
 * box, the ring, the side channel), and hands each to the runtime. What goes
 * back is lane-answers.ts.
 * @internal
 */
import { CallTable } from '../channel/call-table.js';
import { ByteReader } from '../channel/codec.js';
import { laneViews, type SideChannel } from '../channel/lane.js';
import { BoxReader } from '../channel/box.js';
import { L_REQ_BOX, L_REQ_BOX_TAKEN, REQ_BOX_OFFSET, L_REQ_HEAD, L_REQ_SIDE, L_REQ_SIDE_TAKEN, L_REQ_TAIL, L_SUBMITS, L_CONNECTED, callIdAfter } from '../channel/protocol.js';
import { markArgsLost, peekCallId } from '../channel/records.js';
import { SideRecordReader } from '../channel/side-records.js';
import { RingReader } from '../channel/ring.js';
import { LaneAnswers } from './lane-answers.js';

/** What the lane knows of a running task: the loop runtime's job. */
export interface RunningTask {
  readonly id: number;
}

/** Handles one request; `args` is set when they came structured-cloned on the side channel. */
export type RequestHandler = (lane: LoopLane, r: ByteReader, args: unknown[] | undefined) => void;

export class LoopLane {
  private readonly words: Int32Array;
  private readonly requests: RingReader;
  private readonly reader: ByteReader;
  /** A lone request: see BOX_BYTES in protocol.ts. */
  private readonly box: BoxReader;
  private readonly boxReader: ByteReader;
  private sideTaken = 0;
  private readonly sideRecords: SideRecordReader;
  /** What goes back to the submitter: results, failures, task output. */
  readonly answers: LaneAnswers;
  /** The submitting thread (diagnostics name it; when it ends, the lane is dropped: ended-lanes.ts); -1 when the lane did not say. */
  threadId = -1;
  /** Functions this lane has declared, by id: resolved lazily by the runtime. */
  readonly fns = new Map<number, unknown>();
  /** Tasks running for this lane, by call id (the runtime's jobs). */
  readonly running = new CallTable<RunningTask>();
  /** Calls cancelled before the loop saw them start. */
  readonly cancelledEarly = new Set<number>();
  /** The latest call id seen (undefined before the first): a cancel for a later one arrived before its submit. */
  maxCallId: number | undefined = undefined;

  /** Submits taken from this lane, wrapping as the submitter's count in L_SUBMITS does. */
  started = 0;

  /** How many submits the submitter made on this lane, taken or not (read once it has died). */
  submitsMade(): number {
    return Atomics.load(this.words, L_SUBMITS);
  }

  /** The lane is dropped: its side channel closes, its memory goes with this object. */
  close(): void {
    this.side.close();
  }

  /** Whether call `callId` comes after every call this lane has seen. */
  isNewCall(callId: number): boolean {
    return this.maxCallId === undefined || callIdAfter(callId, this.maxCallId);
  }

  constructor(
    memory: SharedArrayBuffer,
    private readonly side: SideChannel,
    /** Takes each request, in the order they were sent. */
    private readonly handle: RequestHandler,
    /** The registry's thread wake words (channel/wake.ts): a blocked submitter parks on its own. */
    wakeWords?: Int32Array,
  ) {
    this.sideRecords = new SideRecordReader(side);
    const views = laneViews(memory);
    this.words = views.words;
    this.requests = new RingReader(views.words, L_REQ_HEAD, L_REQ_TAIL, views.requests);
    this.reader = new ByteReader(views.requests);
    this.box = new BoxReader(views.words, L_REQ_BOX, REQ_BOX_OFFSET, Atomics.load(views.words, L_REQ_BOX_TAKEN));
    this.boxReader = new ByteReader(views.header);
    this.answers = new LaneAnswers(views, side, wakeWords);
  }

  /** Tells the submitter the loop now listens on the side channel: it stops sending the early way (lane.ts, EarlyRoute). */
  markConnected(): void {
    Atomics.store(this.words, L_CONNECTED, 1);
  }

  /** Takes a side record that came on the loop's lanes channel; false when it is for another lane. */
  deliverEarly(to: string, message: unknown): boolean {
    return this.side.deliverEarly(to, message);
  }

  hasRequests(): boolean {
    return this.requests.hasData() || this.box.hasData() || this.sidePending();
  }

  private sidePending(): boolean {
    return Atomics.load(this.words, L_REQ_SIDE) !== this.sideTaken;
  }

  /**
   * Hands every waiting request to the handler, in the order they were sent;
   * returns how many there were. The box and the side channel are looked at
   * before the ring: what was sent before them is then in the ring, and is
   * handled first. A request sent after the boxed one (it has a later call id)
   * takes the box first.
   *
   * Only the record boxed when the drain began is taken at its end: once that
   * one is taken (and, when its task ran synchronously, answered) during the
   * drain, the submitter may box the next request, whose DefineFn and earlier
   * calls went to the ring after this drain read the ring's tail. That record
   * waits for the next drain, which reads them first.
   */
  drain(): number {
    const boxed = this.box.hasData();
    const boxedTaken = this.box.taken;
    const posted = Atomics.load(this.words, L_REQ_SIDE);
    let count = this.requests.hasData() ? this.requests.drain(this.onRingRecord) : 0;
    while (this.sideTaken !== posted) {
      const message = this.sideRecords.next();
      if (message === undefined) break;
      this.sideTaken = (this.sideTaken + 1) | 0; // wraps as the shared word does
      Atomics.store(this.words, L_REQ_SIDE_TAKEN, this.sideTaken);
      const r = new ByteReader(message.record);
      this.boxFirst(r);
      if (message.lost !== undefined) markArgsLost(r, message.lost);
      this.take(r, message.value as unknown[] | undefined);
      count++;
    }
    if (boxed && this.box.taken === boxedTaken && this.box.hasData()) {
      this.takeBox();
      count++;
    }
    return count;
  }

  private readonly onRingRecord = (offset: number): void => {
    const r = this.reader.at(offset);
    this.boxFirst(r);
    this.take(r, undefined);
  };

  private take(r: ByteReader, args: unknown[] | undefined): void {
    this.answers.answeredSinceRequest = false;
    this.handle(this, r, args);
  }

  /**
   * Whether this lane's submitter may send a request soon: it has been answered since its last
   * request, so it is about to run. One whose last request still runs is waiting for it, as a
   * rule, and sends nothing until it ends (wait-policy.ts, loopMayPoll). Not L_WAITING: a
   * submitter is seen waiting only once it parks, up to a millisecond after its request was
   * taken (a GC, a busy core), and a poll begun meanwhile ran its whole window for nothing.
   */
  mayRequestSoon(): boolean {
    return this.answers.answeredSinceRequest;
  }

  /** A boxed request sent before the request in `r` goes first: call ids follow the order of submits. */
  private boxFirst(r: ByteReader): void {
    if (!this.box.hasData()) return;
    const callId = peekCallId(r);
    if (callId >= 0 && callIdAfter(callId, this.boxedCallId())) this.takeBox();
  }

  /** The call id of the boxed request (always a Submit). */
  private boxedCallId(): number {
    return peekCallId(this.boxReader.at(this.box.offset));
  }

  private takeBox(): void {
    this.answers.boxed(this.boxedCallId());
    this.take(this.boxReader.at(this.box.offset), undefined);
    this.box.done();
    Atomics.store(this.words, L_REQ_BOX_TAKEN, this.box.taken);
  }
}
