/**
 * A Call: the submitting thread's record of one task in flight. The lane that
 * carries the task settles it; the futures (future.ts) are views on it.
 * @internal
 */
import { CancelledError, TimeoutError } from '../errors.js';
import type { TaskFuture } from '../future.js';

// Registered, so futures from the ESM and the CommonJS builds of sideloop are one kind.
/** @internal The property of a TaskFuture that holds its pending call. */
export const CALL = Symbol.for('sideloop.future.call.v1');

/** @internal */
export const enum CallState {
  Pending = 0,
  Fulfilled = 1,
  Rejected = 2,
}

/** @internal What a Call needs from the lane that carries it. */
export interface CallHost {
  /** Blocks until the call settles; throws TimeoutError after `timeoutMs` (the call stays pending). */
  waitFor(call: Call, timeoutMs: number | undefined): void;
  /** Tells the loop to abort the task; the call is already settled. */
  abandon(call: Call, timedOut: boolean): void;
  /** The caller will await the call: wake this thread's event loop when it settles. */
  watch(call: Call): void;
  /** A watched call has settled. */
  unwatch(call: Call): void;
}

/** @internal The submitting thread's record of one task in flight. */
export class Call<T = unknown> {
  state = CallState.Pending;
  /** The value once fulfilled, the error once rejected. */
  settledWith: unknown;
  /** nowMs() by which the task must settle, from `timeoutMs`; undefined without one (a number here would be a heap allocation per call). */
  deadline: number | undefined = undefined;
  /**
   * Set once someone awaits the call; dropped when it settles, with the link
   * from the future to this call, so a settled future keeps nothing but its
   * value (futures in flight by the thousand survive young-generation GCs,
   * and every byte they keep is copied).
   */
  // Method syntax keeps Call<T> assignable to Call<unknown> (parameters stay bivariant).
  resolve?(value: T): void;
  reject?(reason: unknown): void;
  /** The awaitable future made for this call, while the call is pending. */
  future?: TaskFuture<T>;
  /** Run once the call settles (timers, abort listeners). */
  cleanup?(): void;
  /** Set by the host while someone awaits the call. */
  watched = false;

  constructor(
    readonly id: number,
    readonly host: CallHost,
    /** Names the task in messages; a label is built only when a message needs it. */
    private readonly task: { readonly label: string },
  ) {}

  get label(): string {
    return this.task.label;
  }

  get settled(): boolean {
    return this.state !== CallState.Pending;
  }

  fulfill(value: T): void {
    if (this.state !== CallState.Pending) return;
    this.state = CallState.Fulfilled;
    this.settledWith = value;
    const resolve = this.resolve;
    this.settle();
    resolve?.(value);
  }

  fail(error: unknown): void {
    if (this.state !== CallState.Pending) return;
    this.state = CallState.Rejected;
    this.settledWith = error;
    const reject = this.reject;
    this.settle();
    reject?.(error);
  }

  private settle(): void {
    this.resolve = this.reject = undefined;
    if (this.future !== undefined) {
      this.future[CALL] = undefined;
      this.future = undefined;
    }
    const cleanup = this.cleanup;
    this.cleanup = undefined;
    cleanup?.();
    if (this.watched) this.host.unwatch(this);
  }

  /** Cancels the call when `signal` aborts, until the call settles. */
  follow(signal: AbortSignal): void {
    const onAbort = (): void => {
      this.cancel(new CancelledError(`${this.label} was cancelled by its signal`, { cause: signal.reason }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.addCleanup(() => signal.removeEventListener('abort', onAbort));
  }

  /** Runs `fn` when the call settles, or at once if it has. */
  addCleanup(fn: () => void): void {
    if (this.state !== CallState.Pending) return fn();
    const previous = this.cleanup;
    this.cleanup = previous
      ? () => {
          fn();
          previous();
        }
      : fn;
  }

  /** Settles with CancelledError (or `error`) and tells the loop; false if already settled. */
  cancel(error?: unknown, timedOut = false): boolean {
    if (this.state !== CallState.Pending) return false;
    this.fail(error ?? new CancelledError(`${this.label} was cancelled`));
    this.host.abandon(this, timedOut);
    return true;
  }

  /** Cancels with TimeoutError because `timeoutMs` ran out; false if already settled. */
  timeOut(): boolean {
    return this.cancel(new TimeoutError(`${this.label} did not finish within its timeoutMs`), true);
  }

  /** The value, or throws the error. Only for settled calls. */
  outcome(): T {
    if (this.state === CallState.Rejected) throw this.settledWith;
    return this.settledWith as T;
  }
}
