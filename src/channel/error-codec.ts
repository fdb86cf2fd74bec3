/**
 * Errors cross threads as plain data and are rebuilt on the other side with
 * their class (built-in, sideloop's, or one the receiving thread registered),
 * message, stack, code, cause chain, AggregateError children and own
 * properties. Structured clone alone drops `code` and own properties.
 *
 * Reading a thrown value never throws and takes time linear in what it holds:
 * every read is guarded (a getter, a Proxy trap or a `toString` may throw),
 * only strings are taken for `name`, `message` and `stack`, and each error is
 * read once, so errors shared between AggregateError children, or cycles of
 * causes, stay shared in the data (never copied out exponentially) and are
 * rebuilt shared.
 *
 * Rebuilding never assigns a key like `__proto__`: every property is defined
 * with Object.defineProperty on a fresh object, and the class comes from a
 * fixed table (or the thread's registered classes), so a hostile payload
 * cannot touch any prototype. A class is recognised by prototype identity or
 * sideloop's brand, never by a prototype's `name`, so a task cannot forge
 * sideloop's errors.
 */
import { ownBrand, registeredErrorClasses, sideloopErrorClasses } from '../errors.js';
import { cloneBytes } from './v8-clone.js';

type ErrorCtor = new (message?: string) => Error;

const builtinErrors: Record<string, ErrorCtor> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};

/** The plain form of a thrown value. */
export interface ErrorData {
  /** Set when the thrown value was not an Error: it travels as itself. */
  readonly thrown?: unknown;
  readonly cls?: string;
  /** The name of the error's own class when it is not one `cls` names: for registered classes. */
  readonly ctor?: string;
  readonly name?: string;
  readonly message?: string;
  readonly stack?: string;
  readonly props?: Record<string, unknown>;
  readonly cause?: ErrorData;
  readonly hasCause?: boolean;
  readonly errors?: ErrorData[];
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

const SKIPPED_KEYS = new Set(['name', 'message', 'stack', 'cause', 'errors', '__proto__', 'constructor', 'prototype']);
/** Causes deeper than this are cut: a chain that long is a loop in all but name. */
const MAX_DEPTH = 64;
/** Errors read from one thrown value at most (AggregateErrors of AggregateErrors). */
const MAX_ERRORS = 10_000;
const MAX_PROPS = 256;

function cloneable(v: unknown): boolean {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol')) return true;
  try {
    cloneBytes(v);
    return true;
  } catch {
    return false;
  }
}

/** `obj[key]`, or undefined when reading it throws. */
function read(obj: object, key: PropertyKey): unknown {
  try {
    return (obj as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

/** The nearest class in the prototype chain the other side can rebuild, and the error's own class name. */
function classOf(err: Error): { cls: string; ctor: string | undefined } {
  let ctor: string | undefined;
  try {
    let proto: object | null = Object.getPrototypeOf(err);
    for (let hops = 0; proto !== null && proto !== Object.prototype && hops < 64; hops++) {
      const known = knownClass(proto);
      if (known !== undefined) return { cls: known, ctor: ctor === known ? undefined : ctor };
      if (ctor === undefined) {
        const desc = Object.getOwnPropertyDescriptor(proto, 'constructor');
        const fn: unknown = desc?.value;
        if (typeof fn === 'function') ctor = text(Object.getOwnPropertyDescriptor(fn, 'name')?.value);
      }
      proto = Object.getPrototypeOf(proto);
    }
  } catch {
    // A Proxy in the chain: what was found so far stands.
  }
  return { cls: 'Error', ctor };
}

/** The name of the class whose prototype `proto` is: a built-in of this realm, or sideloop's (any copy). */
function knownClass(proto: object): string | undefined {
  if (proto === AggregateError.prototype) return 'AggregateError';
  for (const name in builtinErrors) if (builtinErrors[name]!.prototype === proto) return name;
  const brand = ownBrand(proto);
  return brand !== undefined && Object.hasOwn(sideloopErrorClasses, brand) ? brand : undefined;
}

/** The plain form of any thrown value. Never throws. */
export function toErrorData(value: unknown): ErrorData {
  try {
    return new ErrorReader().data(value, 0);
  } catch (err) {
    const why = isError(err) ? text(read(err, 'message')) : undefined;
    return { cls: 'Error', name: 'Error', message: `sideloop: the task threw a value that could not be read${why ? `: ${why}` : ''}`, props: {} };
  }
}

class ErrorReader {
  private readonly seen = new Map<object, ErrorData>();

  data(value: unknown, depth: number): ErrorData {
    if (!isError(value)) return thrownData(value);
    const known = this.seen.get(value);
    if (known !== undefined) return known;
    if (depth > MAX_DEPTH || this.seen.size >= MAX_ERRORS) {
      return { cls: 'Error', name: 'Error', message: '(sideloop: the rest of this error graph was cut)', props: {} };
    }
    const { cls, ctor } = classOf(value);
    const data: Writable<ErrorData> = { cls, name: text(read(value, 'name')), message: text(read(value, 'message')), stack: text(read(value, 'stack')) };
    if (ctor !== undefined) data.ctor = ctor;
    this.seen.set(value, data);
    data.props = ownProps(value);
    let hasCause = false;
    try {
      hasCause = 'cause' in value;
    } catch {
      // a Proxy's has trap
    }
    if (hasCause) {
      data.hasCause = true;
      data.cause = this.data(read(value, 'cause'), depth + 1);
    }
    const errors = cls === 'AggregateError' ? read(value, 'errors') : undefined;
    if (Array.isArray(errors)) {
      const list: ErrorData[] = [];
      for (let i = 0; i < errors.length && i < MAX_ERRORS; i++) list.push(this.data(read(errors, i), depth + 1));
      data.errors = list;
    }
    return data;
  }
}

/** A thrown non-error travels as itself when it can be cloned, else as the text it makes (if it makes one). */
function thrownData(value: unknown): ErrorData {
  if (cloneable(value)) return { thrown: value };
  try {
    return { thrown: String(value) };
  } catch {
    return { thrown: `[a thrown ${typeof value} that cannot be cloned or turned into text]` };
  }
}

/** The error's own data properties that can be cloned, and `code` (a getter on some classes). */
function ownProps(err: Error): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  let keys: string[] = [];
  try {
    keys = Object.getOwnPropertyNames(err);
  } catch {
    // a Proxy's ownKeys trap
  }
  let taken = 0;
  for (const key of keys) {
    if (SKIPPED_KEYS.has(key) || taken >= MAX_PROPS) continue;
    try {
      const desc = Object.getOwnPropertyDescriptor(err, key);
      if (desc && 'value' in desc && cloneable(desc.value)) {
        Object.defineProperty(props, key, { value: desc.value, enumerable: true, writable: true, configurable: true });
        taken++;
      }
    } catch {
      // a Proxy's getOwnPropertyDescriptor trap
    }
  }
  // Class fields like `code` on sideloop's errors are own properties; getters are not, so read them.
  if (!Object.hasOwn(props, 'code')) {
    const code = read(err, 'code');
    if (code !== undefined && cloneable(code)) props.code = code;
  }
  return props;
}

function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, enumerable, writable: true, configurable: true });
}

/** Errors rebuilt here from another thread's data whose stack has no caller frames yet. */
const remote = new WeakSet<object>();

/**
 * Appends the frames of the current caller (below `below`) to an error that
 * came from a loop thread, once: its stack shows the task's frames, and then
 * where the caller waited for it. No-op for anything else.
 */
export function addCallerFrames(error: unknown, below: (...args: never[]) => unknown): void {
  if (typeof error !== 'object' || error === null || !remote.has(error)) return;
  remote.delete(error);
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, below);
  const frames = site.stack?.slice(site.stack.indexOf('\n') + 1);
  const stack = (error as { stack?: unknown }).stack;
  if (!frames || typeof stack !== 'string') return;
  define(error, 'stack', `${stack}\n    at (sideloop: the task's caller, which waited for it here)\n${frames}`, false);
}

/** Rebuilds what toErrorData made; errors shared in the data are shared in the result. */
export function fromErrorData(data: ErrorData, built = new Map<ErrorData, unknown>()): unknown {
  if ('thrown' in data) return data.thrown;
  const done = built.get(data);
  if (done !== undefined) return done;
  const message = typeof data.message === 'string' ? data.message : '';
  const err = makeError(data, message);
  built.set(data, err);
  remote.add(err);
  if (typeof data.name === 'string' && data.name !== err.name) define(err, 'name', data.name, false);
  if (typeof data.stack === 'string') define(err, 'stack', data.stack, false);
  if (data.props && typeof data.props === 'object') {
    for (const key of Object.keys(data.props)) {
      if (SKIPPED_KEYS.has(key)) continue;
      define(err, key, data.props[key], true);
    }
  }
  if (data.hasCause && data.cause) define(err, 'cause', fromErrorData(data.cause, built), false);
  if (err instanceof AggregateError) define(err, 'errors', Array.isArray(data.errors) ? data.errors.map((e) => fromErrorData(e, built)) : [], false);
  return err;
}

/** A fresh error of the class the data names: its constructor never runs for sideloop's or registered classes. */
function makeError(data: ErrorData, message: string): Error {
  const cls = typeof data.cls === 'string' ? data.cls : 'Error';
  if (cls === 'AggregateError') return new AggregateError([], message);
  if (Object.hasOwn(sideloopErrorClasses, cls)) {
    // Rebuild without running the constructor (its arguments are not known here); the own
    // properties restore what it would have set.
    return Reflect.construct(Error, [message], sideloopErrorClasses[cls as keyof typeof sideloopErrorClasses]) as Error;
  }
  const registered = registeredErrorClasses();
  if (registered.size > 0) {
    const user = (typeof data.ctor === 'string' && registered.get(data.ctor)) || (typeof data.name === 'string' && registered.get(data.name));
    if (user) return Reflect.construct(Error, [message], user) as Error;
  }
  return Object.hasOwn(builtinErrors, cls) ? new builtinErrors[cls]!(message) : new Error(message);
}
