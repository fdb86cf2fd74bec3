/**
 * Wakes this thread's parked result pollers when a loop run ends somewhere in
 * the process in a way its loop thread may not announce (registry/wake.ts
 * bumps and notifies H_ENDS). A poller parks in Atomics.waitAsync on its
 * lane's word, which only the loop thread notifies; without this, a poller
 * whose loop died with its owner would look again only at its next slice.
 * One Atomics.waitAsync per thread, armed while a poller is parked; it holds
 * no handle, so it never keeps the thread alive.
 * @internal
 */
import { H_ENDS } from '../channel/protocol.js';
import { registry } from '../registry/registry.js';

const header = registry().header;
/** The ends this thread's pollers have been told of: a later one fires the watch at once. */
let seen = Atomics.load(header, H_ENDS);
let armed = false;
const parked = new Set<() => void>();

/** `wake` is called on the next end, unless `unwatchEnds` comes first. */
export function watchEnds(wake: () => void): void {
  parked.add(wake);
  if (!armed) arm();
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
  for (const wake of [...parked]) wake();
  if (parked.size > 0) arm();
}
