/**
 * sideloop/synckit: synckit's `createSyncFn` and `runAsWorker` on sideloop's
 * channel, so existing synckit workers run unchanged. Each worker file gets a
 * loop of its own (as synckit gives it a Worker); a call blocks in `result()`.
 * Unlike synckit, a timed-out call is aborted in its loop and never answers a
 * later call.
 */
import { isAbsolute } from 'node:path';
import type { Transferable } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { DedicatedLoop } from './compat/dedicated-loop.js';
import { EXPECTING_WORKER, WORKER_FN } from './compat/synckit-runner.js';
import { setupTsRunner, TsRunner } from './compat/ts-runner.js';
import { TimeoutError } from './errors.js';
import { task } from './task.js';
import { asUsersCall } from './channel/clone-errors.js';

export {
  TsRunner,
  compareNodeVersion,
  compareVersion,
  isFile,
  MTS_SUPPORTED,
  NODE_VERSION,
  NO_STRIP_TYPES_FLAG,
  STRIP_TYPES_FLAG,
  STRIP_TYPES_NODE_VERSION,
  TRANSFORM_TYPES_FLAG,
  TS_ESM_PARTIAL_SUPPORTED,
} from './compat/ts-runner.js';

// biome-ignore lint/suspicious/noExplicitAny: synckit's public type, kept as it is so its users' code compiles unchanged
export type AnyFn<R = any, T extends any[] = any[]> = (...args: T) => R;
export type Syncify<T extends AnyFn> = (...args: Parameters<T>) => Awaited<ReturnType<T>>;
export type ValueOf<T> = T[keyof T];

export interface GlobalShim {
  moduleName: string;
  /** `undefined`: imported for its side effects only. */
  globalName?: string;
  /** `undefined` or empty: the default export; `null`: the namespace; otherwise that named export. */
  named?: string | null;
  /** Unless `false`, the global is set only when it is missing. */
  conditional?: boolean;
}

export interface SynckitOptions {
  execArgv?: string[];
  globalShims?: GlobalShim[] | boolean;
  /** Milliseconds a call may take; then it throws and its task is aborted. */
  timeout?: number;
  /** Moved away from the caller when the worker starts, as synckit does (the worker does not see them). */
  transferList?: Transferable[];
  tsRunner?: TsRunner;
}

/** synckit's preset for `globalShims: true` (or SYNCKIT_GLOBAL_SHIMS=1). */
export const DEFAULT_GLOBAL_SHIMS_PRESET: GlobalShim[] = [
  { moduleName: 'node-fetch', globalName: 'fetch' },
  { moduleName: 'node:perf_hooks', globalName: 'performance', named: 'performance' },
];

const RUNNER_URL = new URL('./compat-runner.js', import.meta.url);

/** synckit's environment defaults, read when a function is created. */
function envDefaults(): SynckitOptions {
  const { SYNCKIT_TIMEOUT, SYNCKIT_EXEC_ARGV, SYNCKIT_TS_RUNNER, SYNCKIT_GLOBAL_SHIMS } = process.env;
  const execArgv = SYNCKIT_EXEC_ARGV?.split(',').filter(Boolean);
  return {
    ...(SYNCKIT_TIMEOUT ? { timeout: +SYNCKIT_TIMEOUT } : {}),
    ...(execArgv?.length ? { execArgv } : {}),
    ...(SYNCKIT_TS_RUNNER ? { tsRunner: SYNCKIT_TS_RUNNER as TsRunner } : {}),
    globalShims: SYNCKIT_GLOBAL_SHIMS === '1' || SYNCKIT_GLOBAL_SHIMS === 'true',
  };
}

/**
 * A timeout as synckit's Atomics.wait() reads it: a number (a string of digits is one), where
 * NaN means none and a negative one none at all: the call times out at once.
 */
function waitTimeout(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms = +(value as number); // ToNumber, as Atomics.wait: a Symbol or BigInt throws its TypeError
  return Number.isNaN(ms) ? undefined : Math.max(0, ms);
}

const cache = new Map<string, AnyFn>();

/**
 * A synchronous function that runs the function a worker file gave
 * `runAsWorker`. One per worker path (the same path gives the same function).
 */
export function createSyncFn<T extends AnyFn>(workerPath: URL | string, timeoutOrOptions?: SynckitOptions | number): Syncify<T> {
  const path = typeof workerPath !== 'string' || workerPath.startsWith('file://') ? fileURLToPath(workerPath) : workerPath;
  const cached = cache.get(path);
  if (cached) return cached as Syncify<T>;
  if (!isAbsolute(path)) throw new Error('`workerPath` must be absolute');
  const given = typeof timeoutOrOptions === 'number' ? { timeout: timeoutOrOptions } : (timeoutOrOptions ?? {});
  const o: SynckitOptions = { ...envDefaults(), ...given };
  const userFlags = o.execArgv?.filter(Boolean) ?? [];
  const setup = setupTsRunner(path, userFlags, o.tsRunner);
  // Without flags of its own the loop takes the caller's (sideloop's default); with some, exactly those.
  const flags = setup.addedFlags.length > 0 || userFlags.length > 0 ? [...setup.addedFlags, ...userFlags] : undefined;
  const shims: GlobalShim[] = o.globalShims === true ? DEFAULT_GLOBAL_SHIMS_PRESET : Array.isArray(o.globalShims) ? o.globalShims : [];
  if (o.transferList?.length) structuredClone(null, { transfer: o.transferList });
  const loop = new DedicatedLoop('synckit', setup.workerPath, flags);
  // Boot the loop and load the worker file now, as synckit spawns its Worker here; nobody waits on it.
  loop.submit(task(RUNNER_URL, 'synckitLoad', setup.workerPath, shims));
  const timeout = waitTimeout(o.timeout);
  const label = `the synckit worker ${setup.workerPath}`;
  const syncFn = (...args: unknown[]): unknown => {
    const call = task(RUNNER_URL, 'synckitCall', setup.workerPath, shims, args);
    try {
      return loop.submit(call, timeout).result();
    } catch (err) {
      // A value that cannot travel is named in the user's arguments (the runner's third) and file.
      if ((err as { code?: unknown })?.code !== 'ERR_SIDELOOP_TIMEOUT') throw asUsersCall(err, call, label, 2);
      // synckit's words, which its users match on; the task was aborted, so later calls are unaffected.
      throw new TimeoutError(`Internal error: Atomics.wait() failed: timed-out (the call to ${setup.workerPath} took over ${timeout} ms)`, {
        cause: err,
      });
    }
  };
  cache.set(path, syncFn);
  return syncFn as Syncify<T>;
}

/**
 * In a worker file: the function that `createSyncFn` calls. Outside a
 * sideloop/synckit loop (the file imported anywhere else) it does nothing.
 */
export function runAsWorker<T extends AnyFn<Promise<R> | R>, R = ReturnType<T>>(fn: T): void {
  const g = globalThis as { [EXPECTING_WORKER]?: boolean; [WORKER_FN]?: unknown };
  if (!g[EXPECTING_WORKER]) return;
  g[WORKER_FN] = fn;
}

/** synckit's helper: a shallow copy of an object's enumerable properties. */
export function extractProperties<T>(object?: T): T | undefined {
  if (object && typeof object === 'object') {
    const properties = {} as T;
    for (const key in object) properties[key] = object[key];
    return properties;
  }
  return undefined;
}
