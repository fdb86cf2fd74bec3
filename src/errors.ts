/**
 * Every error sideloop raises on its own account. Each class has a stable
 * `name` and `code` to branch on, and `instanceof` works across copies of the
 * library (the ESM and CommonJS builds, two installed versions): each class's
 * prototype carries a registered-symbol brand naming the class, and
 * `static [Symbol.hasInstance]` looks for it, as undici does.
 */

/**
 * The brand on each sideloop error class's prototype: its name. A registered
 * symbol, so every copy of sideloop in the process uses the same one.
 * @internal
 */
export const ERROR_BRAND = Symbol.for('sideloop.error.v1');

/** The brand `proto` carries as its own property, if any. Never throws (a Proxy's traps may). */
export function ownBrand(proto: object): string | undefined {
  try {
    const desc = Object.getOwnPropertyDescriptor(proto, ERROR_BRAND);
    return typeof desc?.value === 'string' ? desc.value : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `value`'s prototype chain holds a prototype branded `brand` (from any copy of sideloop). */
function branded(value: unknown, brand: string): boolean {
  try {
    let proto: object | null = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : null;
    for (let hops = 0; proto !== null && hops < 64; hops++) {
      if (ownBrand(proto) === brand) return true;
      proto = Object.getPrototypeOf(proto);
    }
  } catch {
    // A hostile Proxy: not one of ours.
  }
  return false;
}

export class SideloopError extends Error {
  readonly code: string = 'ERR_SIDELOOP';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }

  /**
   * True for errors of this class made by any copy of sideloop in the process.
   * A user's subclass (unbranded) keeps the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this` is the class `instanceof` asked about: this method is inherited by every subclass.
    try {
      // biome-ignore lint/complexity/noThisInStatic: the subclass asked about, not SideloopError
      if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    } catch {
      return false; // a Proxy whose getPrototypeOf trap throws: not one of ours
    }
    // biome-ignore lint/complexity/noThisInStatic: as above
    const brand = ownBrand(this.prototype);
    return brand !== undefined && branded(value, brand);
  }
}
brand(SideloopError.prototype, 'SideloopError');

/** Names a class's prototype, as built-in errors do, and brands it. */
function brand(proto: object, name: string): void {
  Object.defineProperty(proto, 'name', { value: name, writable: true, configurable: true });
  Object.defineProperty(proto, ERROR_BRAND, { value: name });
}

// `name` lives on the prototype, as it does for the built-in errors, and is
// spelled out rather than taken from the constructor: bundlers rename classes.
function define<C extends string>(name: string, code: C) {
  const cls = class extends SideloopError {
    override readonly code: C = code;
  };
  brand(cls.prototype, name);
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

/**
 * The cause of a LoopCrashedError when the loop thread ended before its loop
 * booted and no boot guard (boot-guard.cjs beside the entry) said why: its
 * entry file, or a preload, failed to load. The reason reaches only the
 * Worker's 'error' event, which a caller blocked in result() cannot run; an
 * awaiting caller gets the reason itself.
 */
export class LoopEntryLoadError extends define('LoopEntryLoadError', 'ERR_SIDELOOP_LOOP_ENTRY_LOAD') {
  /** The loop thread's entry file. */
  readonly entry: string;
  constructor(entry: string) {
    super(
      `The loop thread ended before its loop booted: its entry file ${entry} (or a preload) failed to load. ` +
        'Await the call for the reason, or ship boot-guard.cjs beside the entry file to get it here too. ' +
        'A common reason: an ESM entry in a folder without "type": "module", as webpack emits it',
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

// The exported classes extend the ones define() made: brand them too, so `instanceof` asks for their own brand.
for (const [name, cls] of Object.entries(sideloopErrorClasses)) {
  if (ownBrand(cls.prototype) === undefined) Object.defineProperty(cls.prototype, ERROR_BRAND, { value: name });
}

/** A user's error class, as `registerErrorClass` takes it. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** Shared by every copy of sideloop in this thread (registered symbol), so either build's registration counts. */
const REGISTRY_KEY = Symbol.for('sideloop.errorClasses.v1');

/** @internal This thread's registered error classes, by name. */
export function registeredErrorClasses(): Map<string, ErrorClass> {
  const holder = globalThis as { [REGISTRY_KEY]?: Map<string, ErrorClass> };
  holder[REGISTRY_KEY] ??= new Map();
  return holder[REGISTRY_KEY];
}

/**
 * Makes errors of `cls` thrown by tasks come back as instances of `cls` in
 * this thread (otherwise they come back as `Error` with the right `name`,
 * `message`, `code` and own properties). Matched by the class's name in the
 * loop thread (`name`, default `cls.name`; give it when a bundler renames
 * classes). The instance is made without running the constructor (its
 * arguments are not known here); own properties, `stack` and `cause` are
 * restored as for any error. Register in every thread that receives them.
 * Returns `cls`.
 */
export function registerErrorClass<C extends ErrorClass>(cls: C, name: string = cls.name): C {
  if (typeof cls !== 'function' || !(cls.prototype instanceof Error)) {
    throw new TypeError('registerErrorClass: expected a class that extends Error');
  }
  if (typeof name !== 'string' || name === '') throw new TypeError('registerErrorClass: the class needs a name');
  if (Object.hasOwn(sideloopErrorClasses, name) || ['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError', 'AggregateError'].includes(name)) {
    throw new TypeError(`registerErrorClass: ${name} is a built-in or sideloop error class`);
  }
  registeredErrorClasses().set(name, cls);
  return cls;
}
