/**
 * The submitting end of a lane: encodes tasks (a RequestSender puts them in
 * the request ring), reads results from the result ring, and settles this
 * thread's calls. Blocking waits are a BlockingWait's (blocking-wait.ts);
 * awaited calls are looked after by a ResultPoller; task output that arrives
 * with the results is written by an OutputWriter.
 */
import { nowMs } from '../clock.js';
import type { MessagePort } from 'node:worker_threads';
import { CallTable } from '../channel/call-table.js';
import { ByteReader, ByteWriter } from '../channel/codec.js';
import { PostMessageOnly, obviouslyBig } from '../channel/payload-route.js';
import { fromErrorData } from '../channel/error-codec.js';
import { type SideRecord, SideRecordReader, packLead } from '../channel/side-records.js';
import { laneViews, type SideChannel } from '../channel/lane.js';
import { BoxReader } from '../channel/box.js';
import { PieceJoiner } from '../channel/pieces.js';
import {
  C_CANCELLED,
  C_COMPLETED,
  C_FAILED,
  C_PROGRESS,
  C_SUBMITTED,
  C_SUBMITTER_SPINS,
  L_ANSWERS_READ,
  L_RES_BACKLOG,
  L_RES_BOX,
  L_RES_HEAD,
  L_RES_SEQ,
  L_RES_SIDE,
  L_RES_SIDE_TAKEN,
  L_RES_TAIL,
  L_SUBMITS,
  MAX_INLINE_RECORD,
  RES_BOX_OFFSET,
  nextCallId,
} from '../channel/protocol.js';
import {
  FnKind,
  Res,
  newResultHead,
  readErr,
  readOkValue,
  readOutput,
  readResultHead,
  writeCancel,
  writeDefineFn,
  writeSubmitArgs,
  writeSubmitHead,
} from '../channel/records.js';
import { RingReader } from '../channel/ring.js';
import { ProgressWatch } from '../channel/wait-policy.js';
import { TaskSerializationError } from '../errors.js';
import { hostedLoopKey } from '../loop/task-context.js';
import { timerMs } from '../options.js';
import type { Task } from '../task.js';
import { BlockingWait } from './blocking-wait.js';
import { Call, type CallHost } from './call.js';
import { type LoopLink, loopEndError } from './loop-link.js';
import { OutputWriter, drainAtExit, stopDrainAtExit } from './output-writer.js';
import { RequestSender } from './request-sender.js';
import { OutputWatcher } from './output-watcher.js';
import { ResultPoller } from './result-poller.js';

/** A burst of submits looks for answers once per this many (plus one) calls: the look reads a line the loop writes. */
const DRAIN_EVERY = 63;

/** The submit options a lane needs: the caller's own options object will do (no copy per call). */
export interface SubmitOptions {
  readonly timeoutMs?: number | undefined;
  readonly transfer?: readonly (ArrayBuffer | MessagePort)[] | undefined;
}

// One scratch buffer per thread: encoding never re-enters.
const scratch = new ByteWriter(4096);

/** Call ids of a lane start here (ids are u32 on the wire and wrap; see callIdAfter in protocol.ts). */
export const FIRST_CALL_ID = 1;

export class ClientLane implements CallHost {
  readonly words: Int32Array;
  private readonly sender: RequestSender;
  private readonly results: RingReader;
  private readonly reader: ByteReader;
  /** Answers to boxed requests (see BOX_BYTES in protocol.ts). */
  private readonly answers: BoxReader;
  private readonly boxReader: ByteReader;
  /** The boxed call not answered yet: until it is, requests go in the ring. */
  private boxCall: Call | undefined;
  /** The boxed call was settled here (cancelled): the box is free once the loop has taken it. */
  private boxAbandoned = false;
  private readonly calls = new CallTable<Call>();
  private readonly pieces = new PieceJoiner();
  private readonly fnIds = new Map<string, number>();
  /** Submits made on this lane, published in L_SUBMITS. */
  private submits = 0;
  private nextCallId: number;
  private sideResultsTaken = 0;
  private readonly sideRecords: SideRecordReader;
  /** The result being settled: one object for every record. */
  private readonly head = newResultHead();
  private readonly blocking: BlockingWait;
  private readonly poller: ResultPoller;
  private readonly outputWatcher: OutputWatcher;
  private readonly output = new OutputWriter();
  private ended = false;

  constructor(
    readonly link: LoopLink,
    readonly memory: SharedArrayBuffer,
    private readonly side: SideChannel,
    /** Only a test of the id wrap starts elsewhere. */
    firstCallId = FIRST_CALL_ID,
  ) {
    this.nextCallId = firstCallId >>> 0;
    this.sideRecords = new SideRecordReader(side);
    const views = laneViews(memory);
    this.words = views.words;
    // When a long burst fills the request ring, the loop's answers wait too: take them meanwhile.
    this.sender = new RequestSender(views.words, views.requests, views.header, side, link.control, () => this.takeAnswers());
    this.results = new RingReader(views.words, L_RES_HEAD, L_RES_TAIL, views.results);
    this.reader = new ByteReader(views.results);
    this.answers = new BoxReader(views.words, L_RES_BOX, RES_BOX_OFFSET, Atomics.load(views.words, L_ANSWERS_READ));
    this.boxReader = new ByteReader(views.header);
    const control = link.control;
    const countSpin = () => control.count(C_SUBMITTER_SPINS);
    this.blocking = new BlockingWait(this, countSpin);
    this.poller = new ResultPoller({
      words: this.words,
      progress: new ProgressWatch(control.words, C_PROGRESS),
      countSpin,
      hasResults: () => this.hasResults(),
      settleArrived: () => {
        this.drain();
        return this.settleIfEnded();
      },
      probe: () => this.link.probe?.(),
      poll: link.poll,
      // A loop's own thread awaiting it: the loop runs only once the thread is back in its event loop.
      mayBlock: hostedLoopKey() !== link.loopKey,
    });
    this.outputWatcher = new OutputWatcher(this.words, () => this.drain());
    drainAtExit(this);
  }

  // ---- submitting ----

  submit<T>(task: Task<T>, taskType: string | null, opts: SubmitOptions): Call<T> {
    const fnId = this.fnIds.get(task.key) ?? this.define(task);
    const call = new Call<T>(this.nextCallId, this, task.code);
    this.nextCallId = nextCallId(this.nextCallId);
    const timeoutMs = timerMs(opts.timeoutMs);
    if (timeoutMs !== undefined) call.deadline = nowMs() + timeoutMs;
    // In the table before it is sent: sending can drain results, and this call's answer may be among them.
    this.calls.add(call);
    try {
      this.sendSubmit(call, fnId, task, taskType, opts.transfer, timeoutMs);
    } catch (err) {
      this.calls.take(call.id);
      throw err;
    }
    this.link.control.count(C_SUBMITTED);
    // Read by the loop only once this thread has died (a plain write: one writer, read after its death).
    this.words[L_SUBMITS] = ++this.submits;
    this.link.control.ringIfParked();
    // A long burst of submits takes the answers that came meanwhile now and then: a settled
    // call lets go of its resolvers and its record, so what a burst keeps alive (and every
    // young-generation GC copies) shrinks to the futures themselves.
    if ((call.id & DRAIN_EVERY) === 0) this.takeAnswers();
    return call;
  }

  /** Settles what the result ring holds, if anything: for a thread still busy submitting. */
  private takeAnswers(): void {
    if (this.results.hasData()) this.drain();
  }

  private sendSubmit(
    call: Call,
    fnId: number,
    task: Task,
    taskType: string | null,
    transferOption: SubmitOptions['transfer'],
    timeoutMs: number | undefined,
  ): void {
    const transfer = transferOption !== undefined && transferOption.length > 0 && this.side.canTransfer ? transferOption : undefined;
    if (transfer || obviouslyBig(task.args, MAX_INLINE_RECORD, true)) {
      // Arguments too big for the ring go as they are: one structured clone copies less than our bytes would.
      return this.postArgs(this.header(call, fnId, taskType, timeoutMs, true), task, transfer);
    }
    const w = this.header(call, fnId, taskType, timeoutMs, false);
    let encoded = true;
    try {
      encoded = writeSubmitArgs(w, task.args, task, true);
    } catch (err) {
      // What v8.serialize refuses but postMessage clones (a SharedArrayBuffer, say) goes on the side channel.
      if (!(err instanceof PostMessageOnly)) throw err;
      return this.postArgs(this.header(call, fnId, taskType, timeoutMs, true), task, undefined);
    }
    if (!encoded) return this.postBigArgs(call, fnId, task, taskType, timeoutMs);
    // A record too big for the ring goes on the side channel as the bytes already made (sender.send):
    // cloning the arguments again would serialize them twice.
    if (w.pos > MAX_INLINE_RECORD) return this.sender.send(w);
    // A lone call goes in the request box: one cache line carries it, where the ring takes two.
    if (this.boxFree() && this.sender.sendBoxed(w, this.answers.taken)) this.boxCall = call;
    else this.sender.send(w);
  }

  private boxFree(): boolean {
    if (this.boxCall !== undefined) return false;
    if (this.boxAbandoned) {
      if (!this.sender.boxTaken()) return false;
      this.boxAbandoned = false;
    }
    return true;
  }

  /** Writes a Submit record's header into the scratch buffer. */
  private header(call: Call, fnId: number, taskType: string | null, timeoutMs: number | undefined, argsOnSide: boolean): ByteWriter {
    const w = scratch.reset();
    writeSubmitHead(w, call.id, fnId, taskType, timeoutMs, argsOnSide);
    return w;
  }

  /**
   * Arguments too big for the compact encoding go as they are: postMessage's native clone
   * costs less than V8's serializer and our bytes (payload-route.ts). When postMessage refuses
   * them, encoding them says why, naming the offending part.
   */
  private postBigArgs(call: Call, fnId: number, task: Task, taskType: string | null, timeoutMs: number | undefined): void {
    try {
      return this.postArgs(this.header(call, fnId, taskType, timeoutMs, true), task, undefined);
    } catch (err) {
      if (!(err instanceof TaskSerializationError)) throw err;
    }
    const w = this.header(call, fnId, taskType, timeoutMs, false);
    writeSubmitArgs(w, task.args, task);
    this.sender.send(w);
  }

  private postArgs(w: ByteWriter, task: Task, transfer: SubmitOptions['transfer']): void {
    this.sender.spill();
    const lead = packLead(task.args, true, this.side.canTransfer, transfer);
    this.sender.post({ record: w.copy() }, lead.transfer, lead.lead);
  }

  private define(task: Task): number {
    const fnId = this.fnIds.size + 1;
    const w = scratch.reset();
    writeDefineFn(w, fnId, task.kind === 'module' ? FnKind.Module : FnKind.Inline, task.target, task.exportName);
    this.sender.send(w);
    this.fnIds.set(task.key, fnId);
    return fnId;
  }

  /** CallHost: the call has been settled here (cancelled or timed out); tell the loop to abort it. */
  abandon(call: Call, timedOut: boolean): void {
    this.calls.take(call.id);
    if (call === this.boxCall) {
      this.boxCall = undefined;
      this.boxAbandoned = true;
    }
    if (this.ended || this.link.control.ended) return;
    const w = scratch.reset();
    writeCancel(w, call.id, timedOut);
    this.sender.send(w);
    this.link.control.ringIfParked();
  }

  // ---- results ----

  /** Settles every call whose result has arrived. */
  drain(): void {
    if (this.sender.queued > 0) this.sender.flush();
    if (this.answers.hasData()) {
      this.settleFrom(this.boxReader.at(this.answers.offset));
      this.answers.done();
    }
    if (this.results.hasData()) {
      this.results.drain(this.onRecord);
      // The loop holds results the full ring could not take: now there is room.
      if (Atomics.load(this.words, L_RES_BACKLOG) !== 0) this.link.control.ring();
    }
    const posted = Atomics.load(this.words, L_RES_SIDE);
    while (this.sideResultsTaken !== posted) {
      const message = this.sideRecords.next();
      if (message === undefined) break;
      this.sideResultsTaken = (this.sideResultsTaken + 1) | 0; // wraps as the shared word does
      Atomics.store(this.words, L_RES_SIDE_TAKEN, this.sideResultsTaken);
      this.settleFrom(new ByteReader(message.record), message);
    }
    if (this.output.pending.length > 0) this.output.write();
  }

  private readonly onRecord = (offset: number, _length: number): void => {
    this.settleFrom(this.reader.at(offset));
  };

  private settleFrom(r: ByteReader, side?: SideRecord): void {
    const head = this.head;
    readResultHead(r, head);
    if (head.kind === Res.Output) {
      this.output.pending.push(readOutput(r));
      return;
    }
    if (head.kind === Res.Piece) {
      const whole = this.pieces.take(head.callId, r);
      return whole && this.settleFrom(whole);
    }
    const call = this.calls.take(head.callId);
    if (call === undefined) return this.recountAbandoned(head.kind);
    if (call === this.boxCall) this.boxCall = undefined;
    try {
      if (head.kind === Res.Err || head.kind === Res.ErrCancelled) call.fail(fromErrorData(readErr(r)));
      else call.fulfill(readOkValue(r, head, side));
    } catch (err) {
      call.fail(new TaskSerializationError(`The result of ${call.label} could not be read: ${(err as Error).message}`, '', { cause: err }));
    }
  }

  /**
   * An answer to a call settled here first (cancelled, or timed out): the
   * loop had finished the task before the cancel reached it, and counted it
   * completed or failed, but its future says cancelled. stats() counts what
   * the futures say, so the count moves (once this thread reads the answer).
   */
  private recountAbandoned(kind: Res): void {
    if (kind === Res.ErrCancelled) return; // the loop counted it cancelled already
    const control = this.link.control;
    control.count(kind === Res.Err ? C_FAILED : C_COMPLETED, -1);
    control.count(C_CANCELLED);
  }

  /** When the loop has ended, settles what it will never answer. Returns whether it has ended. */
  settleIfEnded(): boolean {
    const control = this.link.control;
    if (!control.ended) return false;
    this.drain(); // answers published before the end still count
    if (this.calls.size === 0) return true;
    const error = loopEndError(this.link);
    for (const call of this.calls.takeAll()) call.fail(error);
    return true;
  }

  /** The loop has ended: wake and settle everything waiting here. */
  onLoopEnded(): void {
    this.settleIfEnded();
    Atomics.add(this.words, L_RES_SEQ, 1);
    Atomics.notify(this.words, L_RES_SEQ);
  }

  // ---- blocking ----

  waitFor(call: Call, timeoutMs: number | undefined): void {
    this.blocking.waitFor(call, timeoutMs);
  }

  /** BlockedLane: sends what this thread holds back. */
  spill(): void {
    this.sender.spill();
  }

  /** True when results are waiting to be drained, in the ring or on the side channel. */
  hasResults(): boolean {
    return this.answers.hasData() || this.results.hasData() || Atomics.load(this.words, L_RES_SIDE) !== this.sideResultsTaken;
  }

  // ---- awaiting ----

  watch(call: Call): void {
    this.poller.watch(call);
  }

  unwatch(call: Call): void {
    this.poller.unwatch(call);
  }

  /** This thread no longer uses the lane (the loop ended or was replaced). */
  close(): void {
    this.ended = true;
    this.poller.close();
    this.outputWatcher.close();
    stopDrainAtExit(this);
    this.side.close();
  }
}

