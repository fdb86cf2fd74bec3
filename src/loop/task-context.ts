/**
 * What a task can learn about where it runs. The state lives on globalThis
 * under a registered symbol because a loop thread may hold several copies of
 * sideloop (the loop runtime, the ESM and the CommonJS builds imported by tasks).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface TaskScope {
  readonly signal: AbortSignal;
}

interface LoopThreadContext {
  /** The key of the loop run this thread hosts. */
  readonly loopKey: string;
  readonly scope: AsyncLocalStorage<TaskScope>;
}

const CONTEXT = Symbol.for('sideloop.loopThreadContext.v1');

type WithContext = { [CONTEXT]?: LoopThreadContext };

export function installLoopThreadContext(loopKey: string): AsyncLocalStorage<TaskScope> {
  const scope = new AsyncLocalStorage<TaskScope>();
  (globalThis as WithContext)[CONTEXT] = { loopKey, scope };
  return scope;
}

/** The loop run hosted by this thread, when this thread is a loop thread. */
export function hostedLoopKey(): string | undefined {
  return (globalThis as WithContext)[CONTEXT]?.loopKey;
}

/**
 * Inside a task: the AbortSignal that fires when the task's future is
 * cancelled, times out, or the loop stops with `cancelPending`. Outside any
 * task: undefined.
 */
export function currentSignal(): AbortSignal | undefined {
  return (globalThis as WithContext)[CONTEXT]?.scope.getStore()?.signal;
}
