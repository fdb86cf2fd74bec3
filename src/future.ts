/**
 * Futures: what `submitTask` returns. Both sit on a Call, the submitting
 * thread's record of one task in flight; the lane that carries the task
 * settles it.
 */
import { CancelledError, TimeoutError } from './errors.js';
import { checkTimeout } from './options.js';

export const enum CallState {
  Pending = 0,
  Fulfilled = 1,
  Rejected = 2,
}

/** What a Call needs from the lane that carries it. */
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

export class Call<T = unknown> {
  state = CallState.Pending;
  /** The value once fulfilled, the error once rejected. */
  settledWith: unknown;
  /** performance.now() by which the task must settle, from `timeoutMs`; undefined without one (a number here would be a heap allocation per call). */
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

// Registered, so futures from the ESM and the CommonJS builds of sideloop are one kind.
const CALL = Symbol.for('sideloop.future.call.v1');

// One executor for every future, instead of a closure (and its context) per future.
const captured: { resolve: (value: unknown) => void; reject: (reason: unknown) => void } = { resolve: () => {}, reject: () => {} };
function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}
/** The call the next TaskFuture made belongs to: the constructor keeps Promise's signature. */
let nextCall: Call | undefined;

/**
 * An awaitable future: a Promise subclass carrying `cancel()` and `done()`.
 * Its prototype says its constructor is Promise, so `await`, `Promise.all` and
 * `Promise.resolve` take it as the built-in promise it is (no wrapping, no
 * extra turn), and `then`, `catch` and `finally` return plain Promises. The
 * call it belongs to sits in the object itself: nothing else is allocated
 * per future.
 */
export class TaskFuture<T> extends Promise<T> {
  /** @internal Undefined once the call settles: the promise then holds the outcome. */
  [CALL]: Call<T> | undefined;

  /** @internal Futures come from `submitTask`. */
  constructor(executor: (resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void) => void) {
    super(executor);
    this[CALL] = nextCall as Call<T> | undefined;
    nextCall = undefined;
  }

  /** Cancels the task: the future rejects with CancelledError and the task's signal aborts. False if it had settled. */
  cancel(): boolean {
    return this[CALL]?.cancel() ?? false;
  }

  /** True once the task has settled. */
  done(): boolean {
    return this[CALL]?.settled ?? true;
  }

  /** `instanceof` is true for futures from either build of sideloop (ESM, CommonJS). */
  static override [Symbol.hasInstance](value: unknown): value is TaskFuture<unknown> {
    return value instanceof Promise && CALL in value;
  }

  /** @internal */
  static of<T>(call: Call<T>): TaskFuture<T> {
    nextCall = call.settled ? undefined : call;
    const future = new TaskFuture<T>(capture as (resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void) => void);
    if (call.state === CallState.Fulfilled) captured.resolve(call.settledWith);
    else if (call.state === CallState.Rejected) captured.reject(call.settledWith);
    else {
      call.resolve = captured.resolve as (value: T) => void;
      call.reject = captured.reject;
      call.future = future;
      call.host.watch(call);
    }
    return future;
  }
}
Object.defineProperty(TaskFuture.prototype, 'constructor', { value: Promise, writable: true, configurable: true });

/** A future whose `result()` blocks the calling thread until the task settles. Also awaitable. */
export class SyncFuture<T> implements PromiseLike<T> {
  private promise?: Promise<T>;

  /** @internal */
  constructor(private readonly call: Call<T>) {}

  /**
   * Blocks until the task settles, then returns its value or throws its error.
   * With `timeoutMs`, throws TimeoutError when it runs out; the future stays usable.
   */
  result(timeoutMs?: number): T {
    if (timeoutMs !== undefined) checkTimeout(timeoutMs, 'timeoutMs');
    if (!this.call.settled) this.call.host.waitFor(this.call, timeoutMs);
    return this.call.outcome();
  }

  done(): boolean {
    return this.call.settled;
  }

  /** The task's error once it has failed; null while pending or after success. */
  exception(): unknown {
    return this.call.state === CallState.Rejected ? this.call.settledWith : null;
  }

  cancel(): boolean {
    return this.call.cancel();
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.promise ??= TaskFuture.of(this.call).then((v) => v);
    return this.promise.then(onFulfilled, onRejected);
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.then().finally(onFinally);
  }

  get [Symbol.toStringTag](): string {
    return 'SyncFuture';
  }
}
