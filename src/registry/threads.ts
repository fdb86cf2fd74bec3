/**
 * The thread table: a row in the registry's shared memory for every live
 * thread that loaded sideloop, naming its parent (its nearest ancestor that
 * loaded sideloop) and, where the platform tells it, its OS thread id. Any
 * thread can then decide that another has died, even one that died without
 * running JavaScript (terminate(), out of memory, its parent ending), and
 * even while the thread asking is blocked: a row is removed only when the
 * death is certain (reaper.ts), a thread whose parent's row is gone is gone
 * too (a worker ends with the thread that spawned it), and on Linux a thread
 * whose OS thread no longer exists is gone.
 * @internal
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import {
  H_DEATHS,
  H_THREADS_FULL,
  T_EXITING,
  T_ID,
  T_OS_ID,
  T_PARENT,
  THREAD_ROW_WORDS,
  THREAD_ROWS,
  THREADS_OFFSET,
} from '../channel/protocol.js';

/** A row being written: readers skip it. */
const WRITING = -1;

/** This thread's OS thread id on Linux (from /proc/thread-self), else 0. */
export function osThreadId(): number {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : 0;
  } catch {
    return 0;
  }
}

/** The OS thread ids of this process's threads (Linux), or null where the platform does not list them. */
export function osThreadIds(): Set<number> | null {
  try {
    return new Set(readdirSync('/proc/self/task').map(Number));
  } catch {
    return null;
  }
}

/** The one OS thread that appeared since `before` was listed, or 0 when none or several did. */
export function newOsThread(before: Set<number> | null): number {
  const after = before && osThreadIds();
  if (!after) return 0;
  let found = 0;
  for (const tid of after) {
    if (before.has(tid)) continue;
    if (found !== 0) return 0;
    found = tid;
  }
  return found;
}

/** Whether OS thread `tid` of this process has ended: certain when true. */
export function osThreadEnded(tid: number): boolean {
  return tid > 0 && !existsSync(`/proc/self/task/${tid}`);
}

export class ThreadTable {
  private readonly rows: Int32Array;

  constructor(
    memory: SharedArrayBuffer,
    private readonly header: Int32Array,
  ) {
    this.rows = new Int32Array(memory, THREADS_OFFSET, THREAD_ROWS * THREAD_ROW_WORDS);
  }

  /** Adds a row for `threadId` (once: another copy of sideloop in the thread may have). Returns whether the thread has one. */
  register(threadId: number, parent: number | undefined, osId: number): boolean {
    if (this.rowOf(threadId) >= 0) return true;
    const r = this.rows;
    for (let row = 0; row < THREAD_ROWS; row++) {
      const at = row * THREAD_ROW_WORDS;
      if (Atomics.compareExchange(r, at + T_ID, 0, WRITING) !== 0) continue;
      Atomics.store(r, at + T_PARENT, parent === undefined ? 0 : parent + 1);
      Atomics.store(r, at + T_OS_ID, osId);
      Atomics.store(r, at + T_EXITING, 0);
      Atomics.store(r, at + T_ID, threadId + 1); // published
      return true;
    }
    // Without a row this thread's death cannot be inferred, nor its children's from it.
    Atomics.store(this.header, H_THREADS_FULL, 1);
    return false;
  }

  /** Whether every thread that loaded sideloop got a row: only then does a missing row mean a death. */
  get complete(): boolean {
    return Atomics.load(this.header, H_THREADS_FULL) === 0;
  }

  rowOf(threadId: number): number {
    const r = this.rows;
    const id = threadId + 1;
    // indexOf searches natively (a scan of 4096 rows in JavaScript cost ~1 ms of a cold start);
    // only a hit in the id column that an atomic read confirms counts.
    for (let at = r.indexOf(id); at >= 0; at = r.indexOf(id, at + 1)) {
      if (at % THREAD_ROW_WORDS === T_ID && Atomics.load(r, at) === id) return (at - T_ID) / THREAD_ROW_WORDS;
    }
    return -1;
  }

  /** The thread ran its exit handler: it is going, though its children may outlive it for a moment. */
  markExiting(threadId: number): void {
    const row = this.rowOf(threadId);
    if (row >= 0) Atomics.store(this.rows, row * THREAD_ROW_WORDS + T_EXITING, 1);
  }

  /** Removes the row of a thread known to have ended. Returns whether this call removed it. */
  remove(threadId: number): boolean {
    const row = this.rowOf(threadId);
    if (row < 0 || Atomics.compareExchange(this.rows, row * THREAD_ROW_WORDS + T_ID, threadId + 1, 0) !== threadId + 1) return false;
    Atomics.add(this.header, H_DEATHS, 1);
    return true;
  }

  /** Bumped whenever a row goes: a watcher with nothing new to look at reads one word. */
  get deaths(): number {
    return Atomics.load(this.header, H_DEATHS);
  }

  /** Whether any live row names `threadId` as its parent. */
  hasChildren(threadId: number): boolean {
    let found = false;
    this.forEach((_id, parent) => {
      if (parent === threadId) found = true;
    });
    return found;
  }

  /** The ids of threads with a row. */
  liveIds(): Set<number> {
    const ids = new Set<number>();
    this.forEach((id) => {
      ids.add(id);
    });
    return ids;
  }

  /** Calls `fn` with each published row: thread id, parent (-1 for none), OS thread id. */
  forEach(fn: (threadId: number, parent: number, osId: number) => void): void {
    const r = this.rows;
    for (let row = 0; row < THREAD_ROWS; row++) {
      const at = row * THREAD_ROW_WORDS;
      const id = Atomics.load(r, at + T_ID);
      if (id <= 0) continue;
      fn(id - 1, Atomics.load(r, at + T_PARENT) - 1, Atomics.load(r, at + T_OS_ID));
    }
  }

  /**
   * Whether `threadId`, a thread that loaded sideloop, has ended: its row was
   * removed, or its OS thread is gone. False when unsure.
   */
  ended(threadId: number): boolean {
    const row = this.rowOf(threadId);
    if (row < 0) return this.complete;
    return osThreadEnded(Atomics.load(this.rows, row * THREAD_ROW_WORDS + T_OS_ID));
  }
}
