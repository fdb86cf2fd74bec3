/**
 * The one-liner: a module's functions, or one self-contained function, as
 * plain synchronous functions. Each call submits a task and blocks in
 * `result()`; the loop is the caller's choice or the lineage default loop.
 */
import { threadId } from 'node:worker_threads';
import { getOrCreateLoopManager } from './get-or-create.js';
import { LoopManager } from './loop-manager.js';
import { checkKnown } from './known-options.js';
import type { SubmitTaskOptions } from './options.js';
import { checkTaskType, defineTasks, describe, inlineTaskMaker, type Task } from './task.js';

/** Matches any function without naming `any`. */
type AnyFunction = (...args: never[]) => unknown;

/** `f` made synchronous: the same arguments, the awaited result. */
export type SyncFunction<F> = F extends (...args: infer A) => infer R ? (...args: A) => Awaited<R> : never;

/** What `syncModule<M>` returns: every function export of `M`, synchronous. */
export type SyncModule<M> = {
  readonly [K in keyof M as M[K] extends AnyFunction ? K : never]: SyncFunction<M[K]>;
};

export interface SyncOptions {
  /**
   * The loop the calls run on: a manager, or an id resolved through this
   * thread's lineage like `getOrCreateLoopManager({ id })`. Default: the
   * lineage default loop. A loop found by id (or the default) that this
   * thread owns and that is not running is started at the first call.
   */
  loop?: LoopManager | string | number;
  /** Stamped on every task, for loops protected by a task type. */
  taskType?: string;
  /** Each call is aborted and throws `TimeoutError` when its task runs longer. */
  timeoutMs?: number;
}

const SYNC_OPTIONS = ['loop', 'taskType', 'timeoutMs'];

function checkSyncOptions(opts: unknown, where: string): SyncOptions {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${where} options must be an object, got ${describe(opts)}`);
  checkKnown(opts, SYNC_OPTIONS, where);
  const o = opts as SyncOptions;
  const loop = o.loop;
  if (loop !== undefined && !(loop instanceof LoopManager) && typeof loop !== 'string' && typeof loop !== 'number') {
    throw new TypeError(`The "loop" option must be a LoopManager or a loop id, got ${describe(loop)}`);
  }
  if (o.taskType !== undefined) checkTaskType(o.taskType, 'taskType');
  if (o.timeoutMs !== undefined && (typeof o.timeoutMs !== 'number' || !(o.timeoutMs > 0))) {
    throw new RangeError(`The "timeoutMs" option must be a positive number, got ${describe(o.timeoutMs)}`);
  }
  return o;
}

/**
 * @internal Finds the loop at the first call and keeps it; starts it when this
 * thread owns it and it is idle, stopped or crashed, so a plain
 * `syncModule(url)` needs no setup. A manager given by the caller is used as
 * it is: its lifecycle stays the caller's.
 */
export function loopResolver(loop: SyncOptions['loop']): () => LoopManager {
  if (loop instanceof LoopManager) return () => loop;
  const id = loop;
  let manager: LoopManager | undefined;
  return () => {
    let m = manager;
    if (m === undefined || m.slotGone()) m = manager = getOrCreateLoopManager(id === undefined ? undefined : { id });
    if (!m.isRunning && m.ownerThreadId === threadId && m.state !== 'stopping') m.start();
    return m;
  };
}

/** Turns a task maker into a function that submits the task and blocks on its result. */
function blocking<A extends unknown[], R>(make: (...args: A) => Task<R>, o: SyncOptions): (...args: A) => R {
  const loop = loopResolver(o.loop);
  const submit: SubmitTaskOptions & { returnSyncFuture: true } = { returnSyncFuture: true };
  if (o.taskType !== undefined) submit.taskType = o.taskType;
  if (o.timeoutMs !== undefined) submit.timeoutMs = o.timeoutMs;
  return (...args: A) => loop().submitTask(make(...args), submit).result();
}

/**
 * A module's function exports as synchronous functions:
 * `const { readConfig } = syncModule<typeof import('./config.js')>(new URL('./config.js', import.meta.url))`.
 * The module is loaded in the loop thread at the first call, never here.
 */
export function syncModule<M>(moduleUrlOrPath: URL | string, opts?: SyncOptions): SyncModule<M> {
  const o = checkSyncOptions(opts, 'syncModule()');
  const makers = defineTasks<Record<string, (...args: unknown[]) => unknown>>(moduleUrlOrPath, {});
  const fns = new Map<string, (...args: unknown[]) => unknown>();
  return new Proxy(Object.create(null) as SyncModule<M>, {
    get(_target, prop) {
      // `then` stays undefined so that awaiting the object does not treat it as a thenable.
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      let fn = fns.get(prop);
      if (!fn) fns.set(prop, (fn = blocking(makers[prop]!, o)));
      return fn;
    },
  });
}

/**
 * One self-contained function as a synchronous one:
 * `const sleep = syncFunction(async (ms: number) => { ... })`. Like
 * `inlineTask`, it runs in the loop thread from its source, so it cannot see
 * variables of the scope it was written in; use `await import()` inside it.
 */
export function syncFunction<A extends unknown[], R>(fn: (...args: A) => R, opts?: SyncOptions): (...args: A) => Awaited<R> {
  const o = checkSyncOptions(opts, 'syncFunction()');
  return blocking(inlineTaskMaker(fn, 'syncFunction'), o);
}
