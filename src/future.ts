/**
 * Futures: what `submitTask` returns. Both sit on a Call (client/call.ts),
 * the submitting thread's record of one task in flight; the lane that
 * carries the task settles it.
 */
import { nowMs } from './clock.js';
import { CALL, CallState, type Call } from './client/call.js';
import { addCallerFrames } from './channel/error-codec.js';
import { threadId } from 'node:worker_threads';
import { debug, debugEnabled, slowMs } from './debug.js';
import { checkResultTimeout } from './options.js';

// One executor for every future, instead of a closure (and its context) per future.
const captured: { resolve: (value: unknown) => void; reject: (reason: unknown) => void } = { resolve: () => {}, reject: () => {} };
function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}
const SETTLED = Symbol('settled');

function isThenable(value: unknown): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false; // reading `then` threw: the promise rejects with that, at once
  }
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
  /**
   * @internal For a future with no call behind it (`TaskFuture.all()`, `resolve()`,
   * `new TaskFuture(executor)`, or one made for a call already settled): whether it has settled.
   */
  private [SETTLED]?: { done: boolean; following: boolean };

  /** @internal Futures come from `submitTask`. */
  constructor(executor: (resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void) => void) {
    const call = nextCall as Call<T> | undefined;
    nextCall = undefined;
    if (call !== undefined) {
      super(executor);
      this[CALL] = call;
      return;
    }
    // No call says when it settles: watch the executor's resolve and reject instead.
    const state = { done: false, following: false };
    // Unset while super() runs (`this` does not exist yet): the executor may resolve before or after.
    // biome-ignore lint/complexity/noUselessThisAlias: `this` cannot be read before super() returns
    let self: TaskFuture<T> | undefined;
    const markDone = (): void => {
      state.done = true;
    };
    // Resolved with a thenable: done once this promise itself settles. Promise.prototype.then on a
    // TaskFuture makes a plain Promise (the prototype's constructor is Promise), so no recursion.
    const follow = (): unknown => self && Promise.prototype.then.call(self, markDone, markDone);
    super((resolve, reject) => {
      try {
        executor(
          (value) => {
            if (!state.done && !state.following) {
              if (isThenable(value)) {
                state.following = true;
                follow();
              } else state.done = true;
            }
            resolve(value);
          },
          (reason) => {
            if (!state.following) state.done = true;
            reject(reason);
          },
        );
      } catch (err) {
        if (!state.following) state.done = true; // the promise rejects with it, unless already resolved
        throw err;
      }
    });
    self = this;
    this[CALL] = undefined;
    this[SETTLED] = state;
    if (state.following) follow();
  }

  /** Cancels the task: the future rejects with CancelledError and the task's signal aborts. False if it had settled. */
  cancel(): boolean {
    return this[CALL]?.cancel() ?? false;
  }

  /** True once the task has settled. */
  done(): boolean {
    const call = this[CALL];
    if (call !== undefined) return call.settled;
    return this[SETTLED]?.done ?? true;
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
    checkResultTimeout(timeoutMs);
    if (!this.call.settled) {
      if (debugEnabled) this.waitReportingSlow(timeoutMs);
      else this.call.host.waitFor(this.call, timeoutMs);
    }
    // A task's error shows the task's frames, then this caller's (the submit site, as a rule).
    if (this.call.state === CallState.Rejected) addCallerFrames(this.call.settledWith, SyncFuture.prototype.result);
    return this.call.outcome();
  }

  /** waitFor, and a debug line when the wait was slow (NODE_DEBUG=sideloop only). */
  private waitReportingSlow(timeoutMs: number | undefined): void {
    const start = nowMs();
    try {
      this.call.host.waitFor(this.call, timeoutMs);
    } finally {
      const ms = nowMs() - start;
      if (ms >= slowMs) debug('thread %d blocked %s ms in result() on %s (%s)', threadId, ms.toFixed(1), this.call.label, this.call.settled ? 'settled' : 'still pending');
    }
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
