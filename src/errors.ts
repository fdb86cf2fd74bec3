/**
 * Every error sideloop raises on its own account. Each class has a stable
 * `name` and `code` so callers can branch on them without `instanceof`
 * (which breaks when two copies of the library are loaded, e.g. ESM + CJS).
 */

export class SideloopError extends Error {
  readonly code: string = 'ERR_SIDELOOP';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
Object.defineProperty(SideloopError.prototype, 'name', { value: 'SideloopError', writable: true, configurable: true });

// `name` lives on the prototype, as it does for the built-in errors, and is
// spelled out rather than taken from the constructor: bundlers rename classes.
function define<C extends string>(name: string, code: C) {
  const cls = class extends SideloopError {
    override readonly code: C = code;
  };
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
  return cls;
}

/** `getOrCreateLoopManager({ strictlyGet: true })` found nothing for the id. */
export class ManagerNotFound extends define('ManagerNotFound', 'ERR_SIDELOOP_MANAGER_NOT_FOUND') {
  readonly id: string | number | undefined;
  readonly threadsSearched: readonly number[];
  constructor(id: string | number | undefined, threadsSearched: readonly number[]) {
    const what = id === undefined ? 'the default loop manager' : `a loop manager with id ${JSON.stringify(id)}`;
    super(`Found no ${what.replace(/^(the|a) /, '')}: searched threads ${threadsSearched.join(' -> ')}`);
    this.id = id;
    this.threadsSearched = threadsSearched;
  }
}

/** The loop is protected by a task type and the task carries another (or none). */
export class UnknownAsyncTaskError extends define('UnknownAsyncTaskError', 'ERR_SIDELOOP_UNKNOWN_TASK_TYPE') {
  readonly givenType: string | null;
  readonly expectedType: string | null;
  constructor(givenType: string | null | undefined, expectedType: string | null | undefined, options?: ErrorOptions) {
    const given = givenType == null ? 'a task without a type' : `a task of type ${JSON.stringify(givenType)}`;
    super(`This loop only accepts tasks of type ${JSON.stringify(expectedType ?? null)}; it was given ${given}`, options);
    this.givenType = givenType ?? null;
    this.expectedType = expectedType ?? null;
  }
}

/** Submitting to, or inspecting the event loop of, a manager whose loop is not running. */
export class LoopNotRunningError extends define('LoopNotRunningError', 'ERR_SIDELOOP_LOOP_NOT_RUNNING') {}

/** `start()` on a manager whose loop is already running. */
export class LoopAlreadyRunningError extends define('LoopAlreadyRunningError', 'ERR_SIDELOOP_LOOP_ALREADY_RUNNING') {}

/** A lifecycle call (`start`/`stop`) from a thread that does not own the manager. */
export class NotOwnerError extends define('NotOwnerError', 'ERR_SIDELOOP_NOT_OWNER') {}

/** A thread tried to block on a loop that can only make progress on that same thread. */
export class DeadlockError extends define('DeadlockError', 'ERR_SIDELOOP_DEADLOCK') {}

/** A `result(timeoutMs)` wait or a task's `timeoutMs` ran out. */
export class TimeoutError extends define('TimeoutError', 'ERR_SIDELOOP_TIMEOUT') {}

/** The future was cancelled (`cancel()`, an aborted `signal`, or the loop stopped under it). */
export class CancelledError extends define('CancelledError', 'ERR_SIDELOOP_CANCELLED') {}

/** The loop thread died; `exitCode` and `cause` say how, where known. */
export class LoopCrashedError extends define('LoopCrashedError', 'ERR_SIDELOOP_LOOP_CRASHED') {
  readonly exitCode: number | null;
  constructor(message: string, exitCode: number | null, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** The loop thread's entry file is not where sideloop looked: usually a bundle that left it out. */
export class LoopEntryNotFoundError extends define('LoopEntryNotFoundError', 'ERR_SIDELOOP_LOOP_ENTRY_NOT_FOUND') {
  /** The path looked at (or what was given, when it was not an absolute path or file: URL). */
  readonly entry: string;
  constructor(entry: string, source: string) {
    super(
      `sideloop's loop thread entry is not at ${entry} (${source}). If sideloop was bundled, emit its loop thread beside the bundle ` +
        `as loop-thread.js (esbuild: add the entry point { 'loop-thread': 'sideloop/loop-thread' }, or copy sideloop/dist/loop-thread.js), ` +
        'or name the file with the loopEntry option of LoopManager or the SIDELOOP_LOOP_ENTRY environment variable (an absolute path or file: URL)',
    );
    this.entry = entry;
  }
}

/** The task's module or export could not be found in the loop thread. */
export class TaskNotFoundError extends define('TaskNotFoundError', 'ERR_SIDELOOP_TASK_NOT_FOUND') {}

/** An argument or result could not travel between threads. */
export class TaskSerializationError extends define('TaskSerializationError', 'ERR_SIDELOOP_SERIALIZATION') {
  readonly path: string;
  constructor(message: string, path: string, options?: ErrorOptions) {
    super(message, options);
    this.path = path;
  }
}

/** What was asked needs a feature the JavaScript runtime (Bun, Deno, an old Node) does not have; names both. */
export class UnsupportedRuntimeError extends define('UnsupportedRuntimeError', 'ERR_SIDELOOP_UNSUPPORTED_RUNTIME') {
  readonly runtime: string;
  readonly feature: string;
  constructor(message: string, runtime: string, feature: string, options?: ErrorOptions) {
    super(message, options);
    this.runtime = runtime;
    this.feature = feature;
  }
}

/** Classes a loop thread may send back by name; the receiving side rebuilds them. */
export const sideloopErrorClasses = {
  SideloopError,
  ManagerNotFound,
  UnknownAsyncTaskError,
  LoopNotRunningError,
  LoopAlreadyRunningError,
  NotOwnerError,
  DeadlockError,
  TimeoutError,
  CancelledError,
  LoopCrashedError,
  TaskNotFoundError,
  TaskSerializationError,
  UnsupportedRuntimeError,
} as const;
