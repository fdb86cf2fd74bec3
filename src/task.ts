/**
 * Tasks: an unstarted async call, described by data the loop thread can act
 * on (a module and an export, or a function's source) plus its arguments.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkKnown } from './known-options.js';

declare const resultBrand: unique symbol;

export type TaskKind = 'module' | 'inline';

/** What a task runs: shared by every task a maker makes, so a task itself is two fields. */
interface TaskCode {
  readonly kind: TaskKind;
  readonly target: string;
  readonly exportName: string;
  readonly taskType: string | null;
  readonly key: string;
  /** How messages name the task. */
  readonly label: string;
}

/** How messages name a task, on both sides of a lane. */
export function taskLabel(kind: TaskKind, target: string, exportName: string): string {
  return kind === 'module' ? `task "${exportName}" of ${target}` : `inline task "${exportName || '(anonymous)'}"`;
}

function taskCode(kind: TaskKind, target: string, exportName: string, taskType: string | null): TaskCode {
  return { kind, target, exportName, taskType, key: taskKey(kind, target, exportName), label: taskLabel(kind, target, exportName) };
}

/** An unstarted async call whose result is `T`. Make one with `defineTasks`, `task` or `inlineTask`. */
export class Task<T = unknown> {
  declare readonly [resultBrand]?: T;

  /** @internal Use `task()`, `defineTasks()` or `inlineTask()`. */
  constructor(
    private readonly fn: TaskCode,
    readonly args: readonly unknown[],
  ) {}

  get kind(): TaskKind {
    return this.fn.kind;
  }

  /** `module`: the module's URL; `inline`: the function's source. */
  get target(): string {
    return this.fn.target;
  }

  /** `module`: the export; `inline`: the function's name, for messages. */
  get exportName(): string {
    return this.fn.exportName;
  }

  get taskType(): string | null {
    return this.fn.taskType;
  }

  /** Identifies the function: the same key means the same code in the loop. */
  get key(): string {
    return this.fn.key;
  }

  /** How messages name this task. */
  get label(): string {
    return this.fn.label;
  }

  /**
   * @internal What the task runs, shared by every task of its maker: a call in
   * flight keeps this, not the task, so the task and its arguments die young.
   */
  get code(): { readonly label: string } {
    return this.fn;
  }
}

function taskKey(kind: TaskKind, target: string, exportName: string): string {
  return kind === 'module' ? `m:${target}#${exportName}` : `i:${target}`;
}

export function checkTaskType(value: unknown, option: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`The "${option}" option must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new RangeError(`The "${option}" option must not be empty`);
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value)}`;
  if (typeof value === 'function') return `a function`;
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `${typeof value} ${String(value)}`;
}

/** Turns a module URL or absolute path into the URL string the loop thread imports. */
export function moduleHref(moduleUrlOrPath: unknown): string {
  if (moduleUrlOrPath instanceof URL) return moduleUrlOrPath.href;
  if (typeof moduleUrlOrPath !== 'string') {
    throw new TypeError(`A task module must be a URL or an absolute path, got ${describe(moduleUrlOrPath)}`);
  }
  if (isAbsolute(moduleUrlOrPath)) return pathToFileURL(moduleUrlOrPath).href;
  if (/^(file|data|node):/.test(moduleUrlOrPath)) return new URL(moduleUrlOrPath).href;
  throw new TypeError(
    `A task module must be a URL or an absolute path, got ${describe(moduleUrlOrPath)}; ` +
      `use new URL('./tasks.js', import.meta.url) or path.resolve(__dirname, 'tasks.js')`,
  );
}

function checkExportName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`A task's export name must be a non-empty string, got ${describe(name)}`);
  }
}

/** The untyped low-level form: `task(url, 'fetchUser', 42)`. */
export function task<T = unknown>(moduleUrlOrPath: URL | string, exportName: string, ...args: unknown[]): Task<T> {
  const href = moduleHref(moduleUrlOrPath);
  checkExportName(exportName);
  return new Task<T>(taskCode('module', href, exportName, null), args);
}

/** Matches any function without naming `any`. */
type AnyFunction = (...args: never[]) => unknown;

/** What `defineTasks<M>` returns: one task maker per function export of `M`. */
export type TaskMakers<M> = {
  readonly [K in keyof M as M[K] extends AnyFunction ? K : never]: M[K] extends (...args: infer A) => infer R
    ? (...args: A) => Task<Awaited<R>>
    : never;
};

const DEFINE_TASKS_OPTIONS = ['taskType'];

export interface DefineTasksOptions {
  /** Stamped on every task made, for loops protected by a task type. */
  taskType?: string;
}

/**
 * Typed task makers for a module: `defineTasks<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url))`.
 * Nothing is loaded here; the module is imported in the loop thread.
 */
export function defineTasks<M>(moduleUrlOrPath: URL | string, opts: DefineTasksOptions = {}): TaskMakers<M> {
  const href = moduleHref(moduleUrlOrPath);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`defineTasks options must be an object, got ${describe(opts)}`);
  checkKnown(opts, DEFINE_TASKS_OPTIONS, 'defineTasks()');
  const taskType = opts.taskType ?? null;
  if (taskType !== null) checkTaskType(taskType, 'taskType');
  const makers = new Map<string, (...args: unknown[]) => Task>();
  return new Proxy(Object.create(null) as TaskMakers<M>, {
    get(_target, prop) {
      // `then` must stay undefined so that awaiting the object does not treat it as a thenable.
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      let make = makers.get(prop);
      if (!make) {
        const fn = taskCode('module', href, prop, taskType);
        make = (...args: unknown[]) => new Task(fn, args);
        makers.set(prop, make);
      }
      return make;
    },
  });
}

const NATIVE_SOURCE = /\{\s*\[native code\]\s*\}\s*$/;

/**
 * A self-contained function shipped as source and compiled once per loop.
 * It cannot see variables of the scope it was written in; inside it, use
 * `await import(...)` to reach modules.
 */
export function inlineTask<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Task<Awaited<R>> {
  return new Task<Awaited<R>>(inlineCode(fn, 'inlineTask'), args);
}

/**
 * @internal `inlineTask` split in two: the function's source is read and checked
 * once, and each call of the maker only pairs it with arguments. `api` names the
 * caller's function in errors (syncFunction).
 */
export function inlineTaskMaker<A extends unknown[], R>(fn: (...args: A) => R, api = 'inlineTask'): (...args: A) => Task<Awaited<R>> {
  const code = inlineCode(fn, api);
  return (...args: A) => new Task<Awaited<R>>(code, args);
}

/** What an inline task runs: `fn`'s source, checked here so that a function that cannot travel fails where it is given. */
function inlineCode(fn: unknown, api: string): TaskCode {
  if (typeof fn !== 'function') throw new TypeError(`${api} needs a function, got ${describe(fn)}`);
  const source = Function.prototype.toString.call(fn);
  const what = fn.name ? `"${fn.name}"` : 'this function';
  if (NATIVE_SOURCE.test(source)) {
    throw new TypeError(`${api} cannot ship ${what}: bound and native functions have no source to send to another thread`);
  }
  if (/^class\b/.test(source)) throw new TypeError(`${api} needs a function, got a class`);
  const error = sourceError(source);
  if (error !== undefined) {
    throw new TypeError(
      `${api} cannot ship ${what}: its source does not compile on its own (${error}). Getters and setters, methods ` +
        'with a quoted, numeric or computed name, and functions that use #private fields cannot be sent to another thread; ' +
        'write it as a function or an arrow function',
    );
  }
  return taskCode('inline', source, fn.name, null);
}

/**
 * The forms a loop thread compiles an inline task's source in (loop/task-resolver.ts): as an
 * expression, a method (`f() {}`, `*f() {}`) or an async method. Kept in step with it.
 */
export const INLINE_FORMS: readonly ((source: string) => string)[] = [
  (source) => `(${source})`,
  (source) => `(function ${source})`,
  (source) => `(async function ${source.replace(/^async\s+/, '')})`,
];

/** Sources already parsed here, and what was wrong with them (undefined: nothing). */
const parsed = new Map<string, string | undefined>();

/** Why `source` compiles in none of INLINE_FORMS, or undefined. Parsed once per source; nothing runs. */
function sourceError(source: string): string | undefined {
  if (parsed.has(source)) return parsed.get(source);
  let error: string | undefined;
  for (const form of INLINE_FORMS) {
    try {
      new Function(`return ${form(source)}`);
      error = undefined;
      break;
    } catch (err) {
      // Code generation from strings refused (a policy, or a runtime flag): the loop thread says what it can.
      if (!(err instanceof SyntaxError)) {
        error = undefined;
        break;
      }
      error ??= err.message;
    }
  }
  if (parsed.size >= 256) parsed.clear();
  parsed.set(source, error);
  return error;
}
