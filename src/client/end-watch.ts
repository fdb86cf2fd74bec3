/**
 * Wakes this thread's parked result pollers when a loop run ends somewhere in
 * the process in a way its loop thread may not announce (registry/wake.ts
 * bumps and notifies H_ENDS). A poller parks in Atomics.waitAsync on its
 * lane's word, which only the loop thread notifies; without this, a poller
 * whose loop died with its owner would look again only at its next slice.
 * One Atomics.waitAsync per thread, armed while a poller is parked; it holds
 * no handle, so it never keeps the thread alive.
 *
 * Some deaths reach no thread with sideloop as an event (an owner terminated
 * by, or living under, threads that never loaded it): while handles' pollers
 * are parked, their loops' owners and threads are also looked at every
 * POLL_MS (reaper.checkRun: a few loads and, on Linux, a stat call each), and
 * what that finds wakes everyone as above.
 * @internal
 */
import { H_ENDS } from '../channel/protocol.js';
import { registry } from '../registry/registry.js';

/** How often parked handles look for a death nobody announced. */
export const POLL_MS = 200;

const header = registry().header;
/** The ends this thread's pollers have been told of: a later one fires the watch at once. */
let seen = Atomics.load(header, H_ENDS);
let armed = false;
/** Parked pollers: how to wake each, and its handle's liveness check, if any. */
const parked = new Map<() => void, (() => void) | undefined>();
let pollTimer: ReturnType<typeof setInterval> | undefined;

/** `wake` is called on the next end, unless `unwatchEnds` comes first; `poll` is called every POLL_MS meanwhile. */
export function watchEnds(wake: () => void, poll?: () => void): void {
  parked.set(wake, poll);
  if (!armed) arm();
  // Made once per stretch of parks, not per park: it stops itself at a tick with nobody parked.
  if (poll !== undefined && pollTimer === undefined) pollTimer = setInterval(pollParked, POLL_MS).unref();
}

export function unwatchEnds(wake: () => void): void {
  parked.delete(wake);
}

function arm(): void {
  armed = true;
  const waited = Atomics.waitAsync(header, H_ENDS, seen);
  if (waited.async) void waited.value.then(fire);
  else setImmediate(fire); // an end came since the last look
}

function fire(): void {
  armed = false;
  seen = Atomics.load(header, H_ENDS);
  for (const wake of [...parked.keys()]) wake();
  if (parked.size > 0) arm();
}

function pollParked(): void {
  let polled = false;
  for (const poll of [...parked.values()]) {
    if (poll === undefined) continue;
    polled = true;
    try {
      poll(); // a death found here ends the run, which wakes every waiter (fire)
    } catch {
      // A check that cannot be made now is made at the next tick, or by the poller's own slice.
    }
  }
  if (!polled) {
    clearInterval(pollTimer);
    pollTimer = undefined;
  }
}
