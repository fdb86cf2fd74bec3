/**
 * Noticing deaths, and cleaning up after them. A thread that ends normally
 * cleans up after itself (handles.ts); one that ends without running
 * JavaScript (terminate(), out of memory, its parent ending) cannot, so
 * others do it for it, from three places that need neither the dead thread
 * nor its owner's event loop:
 *
 * - the parent's Worker 'exit' event (every worker spawned after sideloop was
 *   loaded is watched through process's 'worker' event; nothing is patched);
 * - a waiter's slow path (a blocked caller between park slices, a parked
 *   poller, the loop thread between parks), which checks the threads its loop
 *   depends on in the thread table (threads.ts);
 * - a create that finds the registry full.
 *
 * Reaping crashes the dead threads' runs (their waiters wake with
 * LoopCrashedError at their next look), frees their slots, and removes their
 * rows and their descendants' rows (a worker ends with its parent).
 * @internal
 */
import { nowMs } from '../clock.js';
import type { Worker } from 'node:worker_threads';
import { H_DEATHS, LoopState, REGISTRY_SLOTS } from '../channel/protocol.js';
import type { LoopControl } from './control.js';
import { registry, threadTracked, type LoopId, type Registry } from './registry.js';
import { osThreadEnded } from './threads.js';

/** Exit codes of threads this thread saw end (from their Worker's 'exit' event), for the messages. */
const exitCodes = new Map<number, number>();

/** Takes a slot for a new manager; when the registry is full, first frees what dead threads left. */
export function createSlot(reg: Registry, id: LoopId, name: string): number {
  try {
    return reg.create(id, name, threadTracked());
  } catch (err) {
    if (!(err instanceof RangeError) || !/registry is full/.test(err.message) || reap(reg) === 0) throw err;
    return reg.create(id, name, threadTracked());
  }
}

/** A thread known to have ended (its parent saw its Worker exit): its row, its descendants' and its slots go. */
export function threadEnded(threadId: number, exitCode?: number): void {
  const reg = registry();
  if (exitCode !== undefined) exitCodes.set(threadId, exitCode);
  reg.threads.remove(threadId);
  reap(reg);
  exitCodes.delete(threadId);
}

/**
 * For a waiter's slow path: if the owner of `slot` or its loop thread has
 * ended, reaps (which marks this run crashed). Cheap: two lookups in the
 * thread table and, on Linux, two stat calls.
 */
export function checkRun(slot: number, control: LoopControl): void {
  if (control.ended) return;
  const reg = registry();
  const loopThread = control.loopThreadId;
  if (reg.threads.ended(reg.owner(slot)) || (loopThread > 0 && reg.threads.ended(loopThread))) reap(reg);
}

/** What this thread's lanes do after a reap: settle their calls at once when their loop was among the dead. */
const afterReap: (() => void)[] = [];

export function onReap(fn: () => void): void {
  afterReap.push(fn);
}

/** Bumped whenever a thread is found ended: an awaiting poller elsewhere looks at its loop when it moves. */
export function deathCount(): number {
  return registry().threads.deaths;
}

/** Removes the rows of threads that certainly ended, then cleans up their slots. Returns how much it reaped. */
export function reap(reg: Registry = registry()): number {
  let reaped = removeEndedRows(reg);
  const live = reg.threads.liveIds();
  // Without a row for every thread, a missing row proves nothing.
  const ended = (thread: number) => reg.threads.complete && !live.has(thread);
  for (let slot = 0; slot < REGISTRY_SLOTS; slot++) reaped += reapSlot(reg, slot, ended);
  if (reaped > 0) {
    Atomics.add(reg.header, H_DEATHS, 1);
    for (const fn of afterReap) fn();
  }
  return reaped;
}

/** Rows whose OS thread is gone, or whose parent's row is gone (a worker ends with its parent), until none is left. */
function removeEndedRows(reg: Registry): number {
  const threads = reg.threads;
  let removed = 0;
  for (let changed = true; changed; ) {
    changed = false;
    const live = threads.liveIds();
    threads.forEach((id, parent, osId) => {
      const orphan = parent >= 0 && threads.complete && !live.has(parent);
      if ((orphan || osThreadEnded(osId)) && threads.remove(id)) {
        removed++;
        changed = true;
      }
    });
  }
  return removed;
}

function reapSlot(reg: Registry, slot: number, ended: (thread: number) => boolean): number {
  const claimant = reg.claimant(slot);
  if (claimant < 0) return 0;
  if (ended(claimant)) {
    // The owner died (or a thread died half way through releasing the slot): its loop died with it.
    const control = reg.control(slot, reg.gen(slot));
    if (control.accepting || control.state === LoopState.Stopping) {
      const code = exitCodes.get(claimant);
      const how = code === undefined ? 'ended' : `exited with code ${code}`;
      control.markCrashed(null, new Error(`The loop's owner thread (${claimant}) ${how} without stopping it; the loop thread ended with it`));
    }
    return reg.release(slot, claimant) ? 1 : 0;
  }
  if (!reg.isUsed(slot)) return 0;
  const control = reg.control(slot, reg.gen(slot));
  const loopThread = control.loopThreadId;
  if (loopThread > 0 && !control.ended && ended(loopThread)) {
    // The owner lives but its loop thread died without running JavaScript (it would have recorded
    // its crash): Node ends a thread that way when it reaches its heap limit. Or the owner is being
    // torn down (terminate(), its parent exiting), which ends its loop thread first: its own row
    // goes a moment later, and "out of memory" would be the wrong verdict. So that verdict waits.
    if (!silentLongEnough(slot, control.gen)) return 0;
    return control.markCrashed(1, diedSilently()) ? 1 : 0;
  }
  return 0;
}

/** How long a loop thread must be gone, its owner still there, before it is taken for out of memory. */
export const SILENT_GRACE_MS = 300;
/** When this thread first saw each run's loop thread gone with its owner still there (`slot.gen`). */
const silentSince = new Map<string, number>();

function silentLongEnough(slot: number, gen: number): boolean {
  const key = `${slot}.${gen}`;
  const now = nowMs();
  const since = silentSince.get(key);
  if (since === undefined) {
    if (silentSince.size >= 64) silentSince.clear(); // runs their owners settled meanwhile
    silentSince.set(key, now);
    return false;
  }
  if (now - since < SILENT_GRACE_MS) return false;
  silentSince.delete(key);
  return true;
}

/** The cause given to a loop thread that died without a word: out of memory, as Node reports it (exit code 1). */
export function diedSilently(): Error {
  return Object.assign(
    new Error('The loop thread died without running JavaScript, which Node does when a thread reaches its memory limit: out of memory'),
    { code: 'ERR_WORKER_OUT_OF_MEMORY' },
  );
}

/** Loop threads this thread spawned: their owner handles their exit, with the real cause. */
const loopThreads = new WeakSet<Worker>();

export function ownLoopThread(worker: Worker): void {
  loopThreads.add(worker);
}

// Every worker this thread spawns from now on is watched: its 'exit' event fires here however it
// ends, terminate() and out of memory included, which the worker itself cannot report.
process.on('worker', (worker: Worker) => {
  const id = worker.threadId;
  worker.once('exit', (code: number) => {
    if (loopThreads.has(worker)) reapLater(id);
    else threadEnded(id, code);
  });
});

/** A loop thread's row goes after its owner's own 'exit' listener has recorded how it ended. */
function reapLater(threadId: number): void {
  setImmediate(() => threadEnded(threadId)).unref();
}
