/**
 * The options of the public entry points, and the checks they share. Each
 * check names the option it rejects: a TypeError for the wrong type, a
 * RangeError for a bad value.
 */
import { isAbsolute } from 'node:path';
import { checkExecArgv, checkResourceLimits } from './runtime.js';
import type { MessagePort, ResourceLimits, SHARE_ENV } from 'node:worker_threads';
import { checkKnown } from './known-options.js';
import { checkTaskType, describe, Task } from './task.js';

export interface LoopManagerOptions {
  /** Registry key; managers of one thread with the same id replace each other. Default: the default loop. */
  id?: string | number;
  /** For messages and the loop thread's name. Default: the id. */
  name?: string;
  resourceLimits?: ResourceLimits;
  /** Node flags for the loop thread. Default: the parent's (so tsx and loaders carry over). */
  execArgv?: string[];
  /** The loop thread's process.env. Default: a copy of the parent's. */
  env?: Record<string, string | undefined> | typeof SHARE_ENV;
  /**
   * The loop thread's entry file (an absolute path or file: URL), for bundles that put it elsewhere.
   * Default: the SIDELOOP_LOOP_ENTRY environment variable, else loop-thread.js beside sideloop's code.
   */
  loopEntry?: URL | string;
}

export interface StartOptions {
  /** Protects the loop: it then accepts only tasks of this type. */
  taskType?: string;
}

export interface StopOptions {
  /** Abort running tasks (their futures reject with CancelledError) instead of letting them finish. */
  cancelPending?: boolean;
  /**
   * How long running tasks may take to finish: then they are cancelled (their
   * signals abort, their futures reject with CancelledError), and a loop thread
   * still busy STOP_GRACE_MS later (a task spinning the CPU) is terminated.
   * Default DEFAULT_STOP_TIMEOUT_MS (10 s). `Infinity`, or more than
   * MAX_TIMER_MS: wait for as long as the tasks take.
   */
  timeoutMs?: number;
}

/** How long stop() lets running tasks finish when no `timeoutMs` is given. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** How long stop() waits for a loop to exit after cancelling its tasks, before terminating its thread. */
export const STOP_GRACE_MS = 500;

export interface SubmitTaskOptions {
  /** Returns a SyncFuture (blocking `result()`) instead of a TaskFuture. */
  returnSyncFuture?: boolean;
  /** The task's type, checked against a protected loop; overrides the task's own. */
  taskType?: string;
  /** Cancels the task when it aborts. */
  signal?: AbortSignal;
  /** Aborts the task and rejects its future with TimeoutError when it runs longer. `Infinity`, or more than MAX_TIMER_MS: no timeout. */
  timeoutMs?: number;
  /** ArrayBuffers and MessagePorts among the arguments to move instead of copy. */
  transfer?: readonly (ArrayBuffer | MessagePort)[];
}

export interface GetOrCreateOptions {
  /** Which loop; default: the default loop. */
  id?: string | number;
  /** Skip resolution: create a fresh manager for this thread, replacing this thread's entry for the id. */
  forceCreate?: boolean;
  /** Resolve only: throw ManagerNotFound instead of creating. */
  strictlyGet?: boolean;
}

/**
 * The longest a Node timer waits (2^31 - 1 ms, ~24.8 days): a longer delay
 * (Infinity too) would fire after 1 ms, so a `timeoutMs` beyond it means no
 * timeout at all, never a shorter one.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The timeout to arm for a `timeoutMs` option: undefined for none, or for one longer than a timer can wait. */
export function timerMs(timeoutMs: number | undefined): number | undefined {
  return timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS ? timeoutMs : undefined;
}

// ---- each entry point's options, checked in one place ----

const MANAGER_OPTIONS = ['id', 'name', 'resourceLimits', 'execArgv', 'env', 'loopEntry'] as const;
const START_OPTIONS = ['taskType'] as const;
const STOP_OPTIONS = ['cancelPending', 'timeoutMs'] as const;
const SUBMIT_OPTIONS = ['returnSyncFuture', 'taskType', 'signal', 'timeoutMs', 'transfer'] as const;
const GET_OR_CREATE_OPTIONS = ['id', 'forceCreate', 'strictlyGet'] as const;

export function checkManagerOptions(opts: unknown): LoopManagerOptions {
  const o = checkOptions(opts, 'new LoopManager()');
  checkKnown(o, MANAGER_OPTIONS, 'new LoopManager()');
  checkId(o.id);
  if (o.name !== undefined && typeof o.name !== 'string') throw new TypeError(`The "name" option must be a string, got ${describe(o.name)}`);
  if (o.execArgv !== undefined && (!Array.isArray(o.execArgv) || !o.execArgv.every((a) => typeof a === 'string'))) {
    throw new TypeError('The "execArgv" option must be an array of strings');
  }
  if (o.resourceLimits !== undefined && (o.resourceLimits === null || typeof o.resourceLimits !== 'object')) {
    throw new TypeError(`The "resourceLimits" option must be an object, got ${describe(o.resourceLimits)}`);
  }
  checkLoopEntry(o.loopEntry);
  checkResourceLimits(o.resourceLimits);
  checkExecArgv(o.execArgv as string[] | undefined);
  return o as LoopManagerOptions;
}

function checkLoopEntry(entry: unknown): void {
  if (entry === undefined) return;
  if (entry instanceof URL ? entry.protocol !== 'file:' : typeof entry !== 'string' || !(entry.startsWith('file:') || isAbsolute(entry))) {
    throw new TypeError(`The "loopEntry" option must be an absolute path or a file: URL, got ${describe(entry)}`);
  }
}

export function checkStartOptions(opts: unknown): StartOptions {
  const o = checkOptions(opts, 'start()');
  checkKnown(o, START_OPTIONS, 'start()');
  if (o.taskType !== undefined) checkTaskType(o.taskType, 'taskType');
  return o as StartOptions;
}

export function checkStopOptions(opts: unknown): StopOptions {
  const o = checkOptions(opts, 'stop()');
  checkKnown(o, STOP_OPTIONS, 'stop()');
  checkBoolean(o.cancelPending, 'cancelPending');
  if (o.timeoutMs !== undefined) checkTimeout(o.timeoutMs, 'timeoutMs');
  return o as StopOptions;
}

/** On every submit: returns the caller's own object (or one shared empty one), never a copy. */
export function checkSubmitOptions(task: unknown, opts: unknown): SubmitTaskOptions {
  const o = checkOptions(opts, 'submitTask()') as SubmitTaskOptions;
  checkKnown(o as Record<string, unknown>, SUBMIT_OPTIONS, 'submitTask()');
  if (!(task instanceof Task)) {
    throw new TypeError(`submitTask() needs a Task (from defineTasks, task or inlineTask), got ${describe(task)}`);
  }
  checkBoolean(o.returnSyncFuture, 'returnSyncFuture');
  if (o.taskType !== undefined) checkTaskType(o.taskType, 'taskType');
  if (o.timeoutMs !== undefined) checkTimeout(o.timeoutMs, 'timeoutMs');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError(`The "signal" option must be an AbortSignal, got ${describe(o.signal)}`);
  if (o.transfer !== undefined && !Array.isArray(o.transfer)) throw new TypeError(`The "transfer" option must be an array, got ${describe(o.transfer)}`);
  return o;
}

export function checkGetOrCreateOptions(opts: unknown): GetOrCreateOptions {
  const o = checkOptions(opts, 'getOrCreateLoopManager()');
  checkKnown(o, GET_OR_CREATE_OPTIONS, 'getOrCreateLoopManager()');
  checkId(o.id);
  checkBoolean(o.forceCreate, 'forceCreate');
  checkBoolean(o.strictlyGet, 'strictlyGet');
  if (o.forceCreate && o.strictlyGet) throw new TypeError('The "forceCreate" and "strictlyGet" options cannot both be true');
  return o as GetOrCreateOptions;
}

/** SyncFuture.result()'s only argument. */
export function checkResultTimeout(timeoutMs: unknown): void {
  if (timeoutMs !== undefined) checkTimeout(timeoutMs, 'timeoutMs');
}

// ---- the checks they share ----

/** What an omitted options argument reads as: one frozen object, not one per call. */
const NO_OPTIONS: Record<string, unknown> = Object.freeze({});

function checkOptions(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined) return NO_OPTIONS;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`The options of ${where} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function checkTimeout(value: unknown, option: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`The "${option}" option must be a number of milliseconds, got ${describe(value)}`);
  if (!(value >= 0)) throw new RangeError(`The "${option}" option must be >= 0, got ${value}`);
}

function checkBoolean(value: unknown, option: string): asserts value is boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`The "${option}" option must be a boolean, got ${describe(value)}`);
  }
}

function checkId(value: unknown, option = 'id'): asserts value is string | number | undefined {
  if (value === undefined) return;
  if (typeof value === 'string') {
    if (value.length === 0) throw new RangeError(`The "${option}" option must not be an empty string`);
    // Ids travel between threads as UTF-8, where a lone surrogate would become U+FFFD: another id.
    if (!value.isWellFormed()) throw new RangeError(`The "${option}" option must be a well-formed string, got one with a lone surrogate: ${JSON.stringify(value)}`);
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`The "${option}" option must be a finite number, got ${value}`);
    return;
  }
  throw new TypeError(`The "${option}" option must be a string or a number, got ${describe(value)}`);
}
