/**
 * Errors cross threads as plain data and are rebuilt on the other side with
 * their class (built-in or sideloop's), message, stack, code, cause chain and
 * own properties. Structured clone alone drops `code` and own properties.
 *
 * Rebuilding never assigns a key like `__proto__`: every property is defined
 * with Object.defineProperty on a fresh object, and the class comes from a
 * fixed table, so a hostile payload cannot touch any prototype.
 */
import v8 from 'node:v8';
import { sideloopErrorClasses } from '../errors.js';

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
  readonly name?: string;
  readonly message?: string;
  readonly stack?: string;
  readonly props?: Record<string, unknown>;
  readonly cause?: ErrorData;
  readonly hasCause?: boolean;
  readonly errors?: ErrorData[];
}

const SKIPPED_KEYS = new Set(['name', 'message', 'stack', 'cause', 'errors', '__proto__', 'constructor', 'prototype']);
const MAX_CAUSE_DEPTH = 16;

function cloneable(v: unknown): boolean {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol')) return true;
  try {
    v8.serialize(v);
    return true;
  } catch {
    return false;
  }
}

/** The nearest class in the prototype chain that the other side can rebuild. */
function className(err: Error): string {
  let proto: object | null = Object.getPrototypeOf(err);
  while (proto && proto !== Object.prototype) {
    const desc = Object.getOwnPropertyDescriptor(proto, 'name');
    const n: unknown = desc?.value;
    if (typeof n === 'string' && (Object.hasOwn(builtinErrors, n) || Object.hasOwn(sideloopErrorClasses, n) || n === 'AggregateError')) {
      return n;
    }
    proto = Object.getPrototypeOf(proto);
  }
  return 'Error';
}

export function toErrorData(value: unknown, depth = 0): ErrorData {
  if (!(value instanceof Error)) {
    return cloneable(value) ? { thrown: value } : { thrown: String(value) };
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(value)) {
    if (SKIPPED_KEYS.has(key)) continue;
    const desc = Object.getOwnPropertyDescriptor(value, key);
    if (desc && 'value' in desc && cloneable(desc.value)) props[key] = desc.value;
  }
  // Class fields like `code` on sideloop's errors are own properties; getters are not, so read them.
  const code = (value as { code?: unknown }).code;
  if (code !== undefined && !('code' in props) && cloneable(code)) props.code = code;
  const data: {
    -readonly [K in keyof ErrorData]: ErrorData[K];
  } = {
    cls: className(value),
    name: value.name,
    message: value.message,
    stack: value.stack,
    props,
  };
  if ('cause' in value && depth < MAX_CAUSE_DEPTH) {
    data.hasCause = true;
    data.cause = toErrorData(value.cause, depth + 1);
  }
  if (value instanceof AggregateError && Array.isArray(value.errors)) {
    data.errors = value.errors.map((e) => toErrorData(e, depth + 1));
  }
  return data;
}

function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, enumerable, writable: true, configurable: true });
}

export function fromErrorData(data: ErrorData): unknown {
  if ('thrown' in data) return data.thrown;
  const message = typeof data.message === 'string' ? data.message : '';
  const cls = typeof data.cls === 'string' ? data.cls : 'Error';
  let err: Error;
  if (cls === 'AggregateError') {
    err = new AggregateError((data.errors ?? []).map(fromErrorData), message);
  } else if (Object.hasOwn(builtinErrors, cls)) {
    err = new builtinErrors[cls]!(message);
  } else if (Object.hasOwn(sideloopErrorClasses, cls)) {
    // Rebuild without running the constructor (its arguments are not known here); the own
    // properties below restore what it would have set.
    const ctor = sideloopErrorClasses[cls as keyof typeof sideloopErrorClasses];
    err = Reflect.construct(Error, [message], ctor) as Error;
  } else {
    err = new Error(message);
  }
  if (typeof data.name === 'string' && data.name !== err.name) define(err, 'name', data.name, false);
  if (typeof data.stack === 'string') define(err, 'stack', data.stack, false);
  if (data.props && typeof data.props === 'object') {
    for (const key of Object.keys(data.props)) {
      if (SKIPPED_KEYS.has(key)) continue;
      define(err, key, data.props[key], true);
    }
  }
  if (data.hasCause && data.cause) define(err, 'cause', fromErrorData(data.cause), false);
  return err;
}
