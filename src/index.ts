export { LoopManager } from './loop-manager.js';
export type { LoopHandle, LoopStateName } from './loop-manager.js';
export type { GetOrCreateOptions, LoopManagerOptions, StartOptions, StopOptions, SubmitTaskOptions } from './options.js';
export type { LoopStats } from './registry/control.js';
export { getOrCreateLoopManager } from './get-or-create.js';
export { DEFAULT_LOOP_ID } from './registry/registry.js';
export type { LoopId, ManagerInfo } from './registry/registry.js';
export { TaskFuture, SyncFuture } from './future.js';
export { Task, task, defineTasks, inlineTask } from './task.js';
export type { DefineTasksOptions, TaskMakers } from './task.js';
export { syncModule, syncFunction } from './sync-functions.js';
export type { SyncFunction, SyncModule, SyncOptions } from './sync-functions.js';
export { currentSignal } from './loop/task-context.js';
import { wantTaskScope } from './loop/task-context.js';
export { registerErrorClass } from './errors.js';
export type { ErrorClass } from './errors.js';
export type { TaskDiagnostic } from './diagnostics.js';
export {
  SideloopError,
  ManagerNotFound,
  UnknownAsyncTaskError,
  LoopNotRunningError,
  LoopAlreadyRunningError,
  NotOwnerError,
  DeadlockError,
  TimeoutError,
  CancelledError,
  LoopCrashedError,
  LoopEntryLoadError,
  LoopEntryNotFoundError,
  TaskNotFoundError,
  TaskSerializationError,
  UnsupportedRuntimeError,
} from './errors.js';

// In a loop thread, a task module that loads this API may call currentSignal(): tasks run in
// their scope from now on (loop/task-context.ts says why not before).
wantTaskScope();
