/**
 * A loop run's control block: shared by the owner, the loop thread and every
 * thread holding a handle. State changes are published here, so any thread
 * learns of a stop or a crash without a message reaching its event loop.
 */
import { sharedNowMs } from '../clock.js';
import {
  C_CANCELLED,
  C_COMPLETED,
  C_CRASH_CLAIM,
  C_BLOCK_BELL,
  C_DOORBELL,
  C_EXIT_CODE,
  C_FAILED,
  C_LOOP_PARKED,
  C_LOOP_SPINS,
  C_LOOP_THREAD_ID,
  C_STARTED,
  C_STATE,
  C_STOP,
  C_SUBMITTED,
  C_SUBMITTER_SPINS,
  CF_STARTED_AT,
  CONTROL_BYTES,
  LoopParked,
  LoopState,
  M_GEN,
  SLOT_CONTROL,
  SLOT_CRASH,
  SLOT_CRASH_BYTES,
  SLOT_META,
  StopMode,
} from '../channel/protocol.js';
import { fromErrorData, toErrorData } from '../channel/error-codec.js';
import { v8 } from '../runtime.js';
import { findEnd } from './end-log.js';
import { wakeAllThreads } from './wake.js';

/**
 * The control block of one loop run: a view over a registry slot (protocol.ts)
 * for one generation. When the slot has moved on to a later run, this run
 * reads as ended, in the state it ended in.
 */
export class LoopControl {
  readonly words: Int32Array;
  private readonly floats: Float64Array;
  private readonly meta: Int32Array;

  constructor(
    readonly memory: SharedArrayBuffer,
    readonly slotOffset: number,
    readonly gen: number,
  ) {
    this.words = new Int32Array(memory, slotOffset + SLOT_CONTROL, CONTROL_BYTES >>> 2);
    this.floats = new Float64Array(memory, slotOffset + SLOT_CONTROL, CONTROL_BYTES >>> 3);
    this.meta = new Int32Array(memory, slotOffset + SLOT_META, 16);
  }

  /** Whether the slot still holds this run. */
  get current(): boolean {
    return Atomics.load(this.meta, M_GEN) === this.gen;
  }

  get state(): LoopState {
    const state = Atomics.load(this.words, C_STATE);
    if (this.current) return state;
    // The slot moved on (a new run, or another manager): how this run ended is in the end log.
    return findEnd(this.memory, this.slotOffset, this.gen)?.state ?? LoopState.Stopped;
  }

  /** True while the loop accepts work (starting counts: requests queue until it boots). */
  get accepting(): boolean {
    const s = this.state;
    return s === LoopState.Starting || s === LoopState.Running;
  }

  get ended(): boolean {
    const s = this.state;
    return s === LoopState.Stopped || s === LoopState.Crashed;
  }

  /** Moves to `next` unless the loop has already ended; returns whether it moved. */
  setState(next: LoopState): boolean {
    if (!this.current) return false;
    for (;;) {
      const cur = Atomics.load(this.words, C_STATE);
      if (cur === LoopState.Stopped || cur === LoopState.Crashed) return false;
      if (Atomics.compareExchange(this.words, C_STATE, cur, next) === cur) break;
    }
    this.ring();
    // The run ended: its waiters in every thread look now. The loop thread wakes its own lanes
    // when it ends by itself, but not when it died with its owner, ran out of memory or was
    // terminated, and nobody else holds those lanes.
    if (next === LoopState.Stopped || next === LoopState.Crashed) wakeAllThreads(this.memory);
    return true;
  }

  /**
   * Records a crash with its exit code and cause. The first recorder wins (the
   * owner, the loop thread and a reaper in another thread may all see it), so
   * the code and cause are never a mix of two.
   */
  markCrashed(exitCode: number | null, cause: unknown): boolean {
    if (this.ended || !this.current) return false;
    if (Atomics.compareExchange(this.words, C_CRASH_CLAIM, 0, 1) !== 0) return false;
    Atomics.store(this.words, C_EXIT_CODE, exitCode ?? -1);
    if (cause !== undefined) this.writeCause(cause);
    return this.setState(LoopState.Crashed);
  }

  get exitCode(): number | null {
    if (!this.current) return findEnd(this.memory, this.slotOffset, this.gen)?.exitCode ?? null;
    const c = Atomics.load(this.words, C_EXIT_CODE);
    return c === -1 ? null : c;
  }

  private writeCause(cause: unknown): void {
    try {
      let data = toErrorData(cause);
      let bytes = v8().serialize(data);
      if (bytes.byteLength > SLOT_CRASH_BYTES - 4 && data.stack) {
        // Too big for the slot: keep what identifies it.
        data = { cls: data.cls, name: data.name, message: data.message?.slice(0, 400), props: { code: data.props?.code } };
        bytes = v8().serialize(data);
      }
      if (bytes.byteLength > SLOT_CRASH_BYTES - 4) return;
      new Uint8Array(this.memory, this.slotOffset + SLOT_CRASH + 4, bytes.byteLength).set(bytes);
      new DataView(this.memory).setUint32(this.slotOffset + SLOT_CRASH, bytes.byteLength, true);
    } catch {
      // The cause is a courtesy; the crash itself is recorded either way.
    }
  }

  readCause(): unknown {
    if (!this.current) return undefined; // the slot has moved on: the cause went with its control block
    const len = new DataView(this.memory).getUint32(this.slotOffset + SLOT_CRASH, true);
    if (len === 0 || len > SLOT_CRASH_BYTES - 4) return undefined;
    try {
      const copy = Buffer.from(new Uint8Array(this.memory, this.slotOffset + SLOT_CRASH + 4, len));
      return fromErrorData(v8().deserialize(copy));
    } catch {
      return undefined;
    }
  }

  get stopMode(): StopMode {
    return Atomics.load(this.words, C_STOP);
  }

  requestStop(mode: StopMode): void {
    Atomics.store(this.words, C_STOP, mode);
    this.setState(LoopState.Stopping);
  }

  /** Wakes the loop thread if it is parked (or about to park). */
  ring(): void {
    Atomics.add(this.words, C_DOORBELL, 1);
    this.notifyParked(Atomics.load(this.words, C_LOOP_PARKED));
  }

  /** Rings only when the loop said it is parking: the common, cheap case on the hot path. */
  ringIfParked(): void {
    const parked = Atomics.load(this.words, C_LOOP_PARKED);
    if (parked === LoopParked.Running) return;
    if (parked === LoopParked.Doorbell) Atomics.add(this.words, C_DOORBELL, 1);
    this.notifyParked(parked);
  }

  /** Wakes the loop on the word it parked on (protocol.ts, LoopParked). */
  private notifyParked(parked: number): void {
    if (parked === LoopParked.Doorbell) Atomics.notify(this.words, C_DOORBELL);
    else if (parked === LoopParked.Blocked) {
      Atomics.add(this.words, C_BLOCK_BELL, 1);
      Atomics.notify(this.words, C_BLOCK_BELL);
    }
  }

  count(word: number, by = 1): void {
    Atomics.add(this.words, word, by);
  }

  get loopThreadId(): number {
    return Atomics.load(this.words, C_LOOP_THREAD_ID);
  }

  set loopThreadId(id: number) {
    Atomics.store(this.words, C_LOOP_THREAD_ID, id);
  }

  get startedAt(): number {
    return this.floats[CF_STARTED_AT]!;
  }

  set startedAt(ms: number) {
    this.floats[CF_STARTED_AT] = ms;
  }

  stats(): LoopStats {
    // The slot moved on: its counters are another run's now.
    if (!this.current) return { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0, spins: 0, uptime: 0 };
    const w = this.words;
    // The counters are 32-bit words that wrap: totals read as unsigned (right up to 4
    // billion), differences in 32-bit arithmetic (right however often they wrapped).
    const submitted = Atomics.load(w, C_SUBMITTED);
    const started = Atomics.load(w, C_STARTED);
    const completed = Atomics.load(w, C_COMPLETED) >>> 0;
    const failed = Atomics.load(w, C_FAILED) >>> 0;
    const cancelled = Atomics.load(w, C_CANCELLED) >>> 0;
    // Every submission the loop takes counts as started, even one it rejects at once,
    // so finished <= started <= submitted always holds.
    const finished = (completed + failed + cancelled) | 0;
    const pending = Math.max(0, (submitted - started) | 0);
    const running = Math.max(0, (started - finished) | 0);
    const spins = (Atomics.load(w, C_SUBMITTER_SPINS) + Atomics.load(w, C_LOOP_SPINS)) >>> 0;
    const state = Atomics.load(w, C_STATE);
    if (state === LoopState.Crashed || state === LoopState.Stopped) {
      // Nothing runs in an ended loop: what was pending or running settled on the submitting
      // side, with LoopCrashedError (failed) or, when a stop ended it, CancelledError.
      const lost = (pending + running) >>> 0;
      const crashed = state === LoopState.Crashed;
      return {
        pending: 0,
        running: 0,
        completed,
        failed: crashed ? (failed + lost) >>> 0 : failed,
        cancelled: crashed ? cancelled : (cancelled + lost) >>> 0,
        spins,
        uptime: 0,
      };
    }
    return {
      pending,
      running,
      completed,
      failed,
      cancelled,
      spins,
      uptime: this.startedAt ? sharedNowMs() - this.startedAt : 0,
    };
  }
}

export interface LoopStats {
  /** Submitted, not yet started in the loop. */
  pending: number;
  /** Started, not yet settled. */
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
  /**
   * Waits that spun (or polled) before parking, by every waiter of this loop:
   * callers blocked on it, threads awaiting it, and the loop thread between
   * requests. Zero where spinning cannot pay, as in a process pinned to one
   * core. Wraps at 2^32.
   */
  spins: number;
  /** Milliseconds since the loop started; 0 before it has. */
  uptime: number;
}
