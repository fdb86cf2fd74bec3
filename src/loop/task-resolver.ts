/**
 * Turns a task's description into a function, in the loop thread: modules are
 * imported once per loop, inline sources compiled once per loop.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TaskNotFoundError } from '../errors.js';
import { FnKind } from '../channel/records.js';
import { INLINE_FORMS } from '../task.js';
import { evalGlobal, importModule as importUrl } from './import-module.js';

export type TaskFunction = (...args: unknown[]) => unknown;

const modules = new Map<string, Promise<Record<string, unknown>>>();
const inlines = new Map<string, TaskFunction>();

function importModule(href: string): Promise<Record<string, unknown>> {
  let loading = modules.get(href);
  if (!loading) {
    loading = importUrl(href).catch((err: NodeJS.ErrnoException) => {
      modules.delete(href); // a module created later may load on a later try
      const notFound = err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND' || err?.code === 'ERR_UNSUPPORTED_DIR_IMPORT';
      // Not found, but the task module is there: what is missing is something it imports, and
      // Node's own error names it and the file that imports it.
      if (notFound && !isFile(href)) throw new TaskNotFoundError(`Cannot find task module ${href}`, { cause: err });
      throw err;
    }) as Promise<Record<string, unknown>>;
    modules.set(href, loading);
  }
  return loading;
}

/** Whether `href` is a file: URL of a file that exists. */
function isFile(href: string): boolean {
  try {
    return href.startsWith('file:') && statSync(fileURLToPath(href)).isFile();
  } catch {
    return false;
  }
}

/** Finds `name` among a module's exports, looking inside a CommonJS module's default export too. */
function pickExport(ns: Record<string, unknown>, name: string, href: string): TaskFunction {
  let fn = ns[name];
  const fallback = ns.default as Record<string, unknown> | undefined;
  if (fn === undefined && fallback !== null && (typeof fallback === 'object' || typeof fallback === 'function')) {
    fn = fallback[name];
  }
  if (typeof fn !== 'function') {
    const why = fn === undefined ? 'has no export named' : `exports a ${typeof fn}, not a function, as`;
    throw new TaskNotFoundError(`Task module ${href} ${why} "${name}"`);
  }
  return fn as TaskFunction;
}

const REFERENCE_HINT =
  ' (inline tasks run in the loop thread and cannot see variables of the scope they were written in:' +
  ' pass values as arguments, or reach modules with await import())';

/** Compiles a function's source in the global scope; method shorthand (`f() {}`) is accepted too. */
function compileInline(source: string, name: string): TaskFunction {
  let fn = inlines.get(source);
  if (fn) return fn;
  let firstError: unknown;
  for (const form of INLINE_FORMS) {
    try {
      fn = evalGlobal(form(source)) as TaskFunction;
      break;
    } catch (err) {
      firstError ??= err;
    }
  }
  if (typeof fn !== 'function') throw firstError ?? new TypeError(`inline task "${name}" did not compile to a function`);
  const compiled = fn;
  const withHint: TaskFunction = function (this: unknown, ...args: unknown[]) {
    try {
      const out = compiled.apply(this, args);
      if (out instanceof Promise) return out.catch(addHint);
      return out;
    } catch (err) {
      throw addHint(err);
    }
  };
  inlines.set(source, withHint);
  return withHint;
}

function addHint(err: unknown): never {
  if (err instanceof ReferenceError && !err.message.includes(REFERENCE_HINT)) err.message += REFERENCE_HINT;
  throw err;
}

/** A function now, or a promise of one when a module must load first. */
export function resolveTask(kind: FnKind, target: string, name: string): TaskFunction | Promise<TaskFunction> {
  if (kind === FnKind.Inline) return compileInline(target, name);
  return importModule(target).then((ns) => pickExport(ns, name, target));
}
