/**
 * Loop side of sideloop/synckit: loads a synckit worker file in the loop thread
 * (with its global shims first) and calls the function it gave `runAsWorker`.
 * The worker file imports sideloop/synckit itself, perhaps another build of it,
 * so the two meet through process-wide symbols, not module state.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { GlobalShim } from '../synckit.js';

/** Set while a loop thread loads a worker file: `runAsWorker` registers only then. */
export const EXPECTING_WORKER = Symbol.for('sideloop.synckit.expecting');
/** Where `runAsWorker` leaves the worker's function. */
export const WORKER_FN = Symbol.for('sideloop.synckit.worker');

type WorkerFn = (...args: unknown[]) => unknown;
type SynckitGlobals = { [EXPECTING_WORKER]?: boolean; [WORKER_FN]?: WorkerFn };

/** Imports a shim's module as seen from the worker file; a module that is not installed is skipped, as in synckit. */
async function applyShim(shim: GlobalShim, workerPath: string): Promise<void> {
  let href: string;
  try {
    href = shim.moduleName.startsWith('node:') ? shim.moduleName : pathToFileURL(createRequire(workerPath).resolve(shim.moduleName)).href;
  } catch {
    return;
  }
  const ns = (await import(href)) as Record<string, unknown>;
  if (!shim.globalName) return;
  const value = shim.named === null ? ns : shim.named?.trim() ? ns[shim.named] : ns.default;
  const g = globalThis as Record<string, unknown>;
  if (shim.conditional === false || !g[shim.globalName]) g[shim.globalName] = value;
}

let loading: Promise<WorkerFn> | undefined;

async function load(workerPath: string, shims: readonly GlobalShim[]): Promise<WorkerFn> {
  for (const shim of shims) await applyShim(shim, workerPath);
  const g = globalThis as SynckitGlobals;
  g[EXPECTING_WORKER] = true;
  await import(pathToFileURL(workerPath).href);
  const fn = g[WORKER_FN];
  if (typeof fn !== 'function') throw new Error(`synckit worker ${workerPath} did not call runAsWorker(fn)`);
  return fn;
}

/**
 * The task every sideloop/synckit call runs: one worker file per loop, loaded
 * once. What the worker writes to stdout and stderr reaches the caller before
 * the call returns, as sideloop carries every task's output.
 */
export async function synckitCall(workerPath: string, shims: readonly GlobalShim[], args: unknown[]): Promise<unknown> {
  const fn = await (loading ??= load(workerPath, shims));
  return fn(...args);
}

/**
 * Started when the function is made, as synckit starts its Worker then: the loop boots and the
 * worker file loads while the caller goes on. A failure waits for the first call to be thrown.
 */
export async function synckitLoad(workerPath: string, shims: readonly GlobalShim[]): Promise<void> {
  try {
    await (loading ??= load(workerPath, shims));
  } catch {}
}
