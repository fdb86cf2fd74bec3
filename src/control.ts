/**
 * A loop run's control block: shared by the owner, the loop thread and every
 * thread holding a handle. State changes are published here, so any thread
 * learns of a stop or a crash without a message reaching its event loop.
 */
import v8 from 'node:v8';
import {
  C_CANCELLED,
  C_COMPLETED,
  C_DOORBELL,
  C_EXIT_CODE,
  C_FAILED,
  C_LOOP_PARKED,
  C_LOOP_THREAD_ID,
  C_STARTED,
  C_STATE,
  C_STATE_SEQ,
  C_STOP,
  C_SUBMITTED,
  CF_STARTED_AT,
  CONTROL_BYTES,
  LoopState,
  StopMode,
} from './protocol.js';
import { fromErrorData, toErrorData } from './error-codec.js';

/** Bytes after the counters that hold the crash cause, v8-serialized, length first. */
const CRASH_AREA = CONTROL_BYTES;
const CONTROL_TOTAL = CONTROL_BYTES + 8192;

export class LoopControl {
  readonly words: Int32Array;
  private readonly floats: Float64Array;

  constructor(readonly memory: SharedArrayBuffer = new SharedArrayBuffer(CONTROL_TOTAL)) {
    this.words = new Int32Array(memory, 0, CONTROL_BYTES >>> 2);
    this.floats = new Float64Array(memory, 0, CONTROL_BYTES >>> 3);
  }

  get state(): LoopState {
    return Atomics.load(this.words, C_STATE);
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
    for (;;) {
      const cur = Atomics.load(this.words, C_STATE);
      if (cur === LoopState.Stopped || cur === LoopState.Crashed) return false;
      if (Atomics.compareExchange(this.words, C_STATE, cur, next) === cur) break;
    }
    Atomics.add(this.words, C_STATE_SEQ, 1);
    Atomics.notify(this.words, C_STATE_SEQ);
    this.ring();
    return true;
  }

  /** Records a crash (first one wins) with its exit code and cause. */
  markCrashed(exitCode: number | null, cause: unknown): boolean {
    if (this.ended) return false;
    Atomics.store(this.words, C_EXIT_CODE, exitCode ?? -1);
    if (cause !== undefined) this.writeCause(cause);
    return this.setState(LoopState.Crashed);
  }

  get exitCode(): number | null {
    const c = Atomics.load(this.words, C_EXIT_CODE);
    return c === -1 ? null : c;
  }

  private writeCause(cause: unknown): void {
    try {
      const bytes = v8.serialize(toErrorData(cause));
      const room = this.memory.byteLength - CRASH_AREA - 4;
      if (bytes.byteLength > room) return;
      const view = new Uint8Array(this.memory, CRASH_AREA + 4, bytes.byteLength);
      view.set(bytes);
      new DataView(this.memory).setUint32(CRASH_AREA, bytes.byteLength, true);
    } catch {
      // The cause is a courtesy; the crash itself is recorded either way.
    }
  }

  readCause(): unknown {
    const len = new DataView(this.memory).getUint32(CRASH_AREA, true);
    if (len === 0) return undefined;
    try {
      const copy = Buffer.from(new Uint8Array(this.memory, CRASH_AREA + 4, len));
      return fromErrorData(v8.deserialize(copy));
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
    if (Atomics.load(this.words, C_LOOP_PARKED) !== 0) Atomics.notify(this.words, C_DOORBELL);
  }

  /** Rings only when the loop said it is parking: the common, cheap case on the hot path. */
  ringIfParked(): void {
    if (Atomics.load(this.words, C_LOOP_PARKED) !== 0) {
      Atomics.add(this.words, C_DOORBELL, 1);
      Atomics.notify(this.words, C_DOORBELL);
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
    const w = this.words;
    const submitted = Atomics.load(w, C_SUBMITTED);
    const started = Atomics.load(w, C_STARTED);
    const completed = Atomics.load(w, C_COMPLETED);
    const failed = Atomics.load(w, C_FAILED);
    const cancelled = Atomics.load(w, C_CANCELLED);
    // Every submission the loop takes counts as started, even one it rejects at once,
    // so finished <= started <= submitted always holds.
    const finished = completed + failed + cancelled;
    return {
      pending: Math.max(0, submitted - started),
      running: Math.max(0, started - finished),
      completed,
      failed,
      cancelled,
      uptime: this.startedAt ? performance.timeOrigin + performance.now() - this.startedAt : 0,
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
  /** Milliseconds since the loop started; 0 before it has. */
  uptime: number;
}
