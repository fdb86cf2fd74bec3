/**
 * Loop side of sideloop/make-synchronized: loads the module (or compiles the
 * inline function) in the loop thread and answers make-synchronized's four
 * actions on a property path of it. While a loop thread serves, a module that
 * calls `makeSynchronized(import.meta, implementation)` gets its implementation
 * back (see SERVING), as in make-synchronized's worker.
 */
import { inspect } from 'node:util';
import v8 from 'node:v8';
import { FnKind } from '../channel/records.js';
import { importModule } from '../loop/import-module.js';
import { resolveTask } from '../loop/task-resolver.js';

/** Set in a loop thread that serves make-synchronized calls. */
export const SERVING = Symbol.for('sideloop.make-synchronized.serving');

/** What a synchronizer asks for: a module by its specifier or URL, or an inline function's source. */
export type ModuleSpec = { readonly source: string } | { readonly code: string };
export type Action = 'info' | 'get' | 'apply' | 'keys';
export type PropertyPath = readonly string[];

export type ValueType = 'function' | 'primitive' | 'plain-object' | 'unknown';

/** What the caller needs to know of a value to stand in for it. */
export interface ValueInformation {
  readonly type: ValueType;
  readonly value?: unknown;
  readonly isNullPrototypeObject?: boolean;
  /** For plain objects: each own enumerable key, with its value when that is a primitive data property. */
  readonly properties?: Map<string, { type: 'primitive'; value: unknown } | undefined>;
}

const isPrimitive = (value: unknown): boolean =>
  value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol');

/** make-synchronized's classification, so the caller's proxies behave as its do. */
export function valueInformation(value: unknown): ValueInformation {
  if (typeof value === 'function') return { type: 'function' };
  if (isPrimitive(value)) return { type: 'primitive', value };
  if (typeof value !== 'object' || value === null) return { type: 'unknown' };
  const proto: unknown = Object.getPrototypeOf(value);
  const isNullPrototypeObject = proto === null;
  if (!isNullPrototypeObject && (value as { constructor?: unknown }).constructor !== Object) return { type: 'unknown' };
  const properties = new Map<string, { type: 'primitive'; value: unknown } | undefined>();
  for (const key of Object.keys(value)) {
    const desc = Object.getOwnPropertyDescriptor(value, key);
    properties.set(key, desc && 'value' in desc && isPrimitive(desc.value) ? { type: 'primitive', value: desc.value } : undefined);
  }
  return isNullPrototypeObject ? { type: 'plain-object', isNullPrototypeObject, properties } : { type: 'plain-object', properties };
}

const modules = new Map<string, Promise<object>>();

function load(spec: ModuleSpec): Promise<object> {
  const key = 'code' in spec ? `code:${spec.code}` : spec.source;
  let loading = modules.get(key);
  if (!loading) {
    (globalThis as { [SERVING]?: boolean })[SERVING] = true;
    // An inline function is compiled in the global scope, as sideloop's inline tasks are.
    loading = 'code' in spec ? Promise.resolve().then(() => ({ default: resolveTask(FnKind.Inline, spec.code, '') })) : importModule(spec.source);
    modules.set(key, loading);
  }
  return loading;
}

function walk(root: object, path: PropertyPath): { value: unknown; receiver: unknown } {
  let value: unknown = root;
  let receiver: unknown;
  for (const property of path) {
    receiver = value;
    value = Reflect.get(value as object, property, value);
  }
  return { value, receiver };
}

function cloneable(value: unknown): boolean {
  try {
    v8.serialize(value);
    return true;
  } catch {
    return false;
  }
}

async function act(spec: ModuleSpec, action: Action, path: PropertyPath, args: unknown[]): Promise<unknown> {
  const { value, receiver } = walk(await load(spec), path);
  switch (action) {
    case 'info':
      return valueInformation(value);
    case 'get':
      return value;
    case 'apply':
      return Reflect.apply(value as (...a: unknown[]) => unknown, receiver, args);
    case 'keys':
      return Reflect.ownKeys(value as object).filter((key) => typeof key === 'string');
  }
}

/** The task every sideloop/make-synchronized call runs. Its output reaches the caller as every task's does. */
export async function makeSynchronizedCall(spec: ModuleSpec, action: Action, path: PropertyPath, args: unknown[]): Promise<unknown> {
  try {
    return await act(spec, action, path, args);
  } catch (err) {
    // A rejection with a value that cannot travel fails the way make-synchronized says.
    if (err instanceof Error || isPrimitive(err) || cloneable(err)) throw err;
    throw new Error(`Cannot serialize worker response:\n${inspect(err)}`);
  }
}
