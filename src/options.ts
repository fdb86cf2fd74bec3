/**
 * The options of the public entry points, and the checks they share. Each
 * check names the option it rejects: a TypeError for the wrong type, a
 * RangeError for a bad value.
 */
import type { MessagePort, ResourceLimits, SHARE_ENV } from 'node:worker_threads';
import { describe } from './task.js';

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
}

export interface StartOptions {
  /** Protects the loop: it then accepts only tasks of this type. */
  taskType?: string;
}

export interface StopOptions {
  /** Abort running tasks (their futures reject with CancelledError) instead of letting them finish. */
  cancelPending?: boolean;
  /** Terminate the loop thread if it has not finished by then. */
  timeoutMs?: number;
}

export interface SubmitTaskOptions {
  /** Returns a SyncFuture (blocking `result()`) instead of a TaskFuture. */
  returnSyncFuture?: boolean;
  /** The task's type, checked against a protected loop; overrides the task's own. */
  taskType?: string;
  /** Cancels the task when it aborts. */
  signal?: AbortSignal;
  /** Aborts the task and rejects its future with TimeoutError when it runs longer. */
  timeoutMs?: number;
  /** ArrayBuffers and MessagePorts among the arguments to move instead of copy. */
  transfer?: readonly (ArrayBuffer | MessagePort)[];
}

/** What an omitted options argument reads as: one frozen object, not one per call. */
const NO_OPTIONS: Record<string, unknown> = Object.freeze({});

export function checkOptions(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined) return NO_OPTIONS;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`The options of ${where} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function checkTimeout(value: unknown, option: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`The "${option}" option must be a number of milliseconds, got ${describe(value)}`);
  if (!(value >= 0)) throw new RangeError(`The "${option}" option must be >= 0, got ${value}`);
}

export function checkBoolean(value: unknown, option: string): asserts value is boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`The "${option}" option must be a boolean, got ${describe(value)}`);
  }
}

export function checkId(value: unknown, option = 'id'): asserts value is string | number | undefined {
  if (value === undefined) return;
  if (typeof value === 'string') {
    if (value.length === 0) throw new RangeError(`The "${option}" option must not be an empty string`);
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`The "${option}" option must be a finite number, got ${value}`);
    return;
  }
  throw new TypeError(`The "${option}" option must be a string or a number, got ${describe(value)}`);
}

/** Rejects option names the function does not know, which usually are typos. */
export function checkKnown(opts: Record<string, unknown>, known: readonly string[], where: string): void {
  // for-in sees inherited options too, as reading them does; and it allocates nothing.
  for (const key in opts) {
    if (!known.includes(key)) {
      throw new TypeError(`Unknown option "${key}" for ${where}; known options are ${known.join(', ')}`);
    }
  }
}
