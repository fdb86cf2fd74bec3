/**
 * What a task can learn about where it runs. The state lives on globalThis
 * under a registered symbol because a loop thread may hold several copies of
 * sideloop (the loop runtime, the ESM and the CommonJS builds imported by tasks).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface TaskScope {
  readonly signal: AbortSignal;
}

/**
 * A loop thread's task context. Tasks run inside `scope` (AsyncLocalStorage) only once someone
 * may ask for it: on Node 20 its promise hooks cost every promise a task makes (prettier
 * formatted ~10% slower in the loop thread), and most tasks never ask. It is wanted when
 * sideloop's API loads in the thread (a task module imports `currentSignal`: wantTaskScope),
 * when a second lane connects (task output goes to the lane of the task that wrote it), and
 * at the first currentSignal() that finds no scope.
 */
export interface LoopThreadContext {
  /** The key of the loop run this thread hosts. */
  readonly loopKey: string;
  readonly scope: AsyncLocalStorage<TaskScope>;
  /** Tasks run inside `scope` from now on. */
  scoped: boolean;
  /** The task whose function is being called right now, while tasks run unscoped. */
  calling: TaskScope | undefined;
  /** The task running in this thread when exactly one is and it started unscoped (set by the loop runtime). */
  unscopedSole: () => TaskScope | undefined;
}

const CONTEXT = Symbol.for('sideloop.loopThreadContext.v1');

type WithContext = { [CONTEXT]?: LoopThreadContext };

export function installLoopThreadContext(loopKey: string): LoopThreadContext {
  const context: LoopThreadContext = {
    loopKey,
    scope: new AsyncLocalStorage<TaskScope>(),
    scoped: false,
    calling: undefined,
    unscopedSole: () => undefined,
  };
  (globalThis as WithContext)[CONTEXT] = context;
  return context;
}

/** In a loop thread, its tasks run in their scope from now on: sideloop's API is loaded there. */
export function wantTaskScope(): void {
  const context = (globalThis as WithContext)[CONTEXT];
  if (context) context.scoped = true;
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
  const context = (globalThis as WithContext)[CONTEXT];
  if (context === undefined) return undefined;
  const scope = context.scoped ? context.scope.getStore() : undefined;
  if (scope !== undefined) return scope.signal;
  // No scope: outside any task, or in a task that started before scopes were wanted (it imported
  // this API itself, or a bundle left wantTaskScope out). Tasks run scoped from now on.
  context.scoped = true;
  return (context.calling ?? context.unscopedSole())?.signal;
}
