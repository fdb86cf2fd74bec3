/**
 * Thread wake words: one Int32 per thread-table row, in the registry's memory
 * (WAKE_OFFSET in protocol.ts). A thread blocked in result() parks on its own
 * word rather than on its lane's. Only the submitter and the loop thread hold
 * a lane's memory, so when the loop thread dies with its owner (terminate(),
 * the owner's parent exiting) nobody alive could wake a waiter parked on the
 * lane, and it would learn of the death only at the end of its park slice.
 * The registry is shared by the whole process: whoever finds a loop ended
 * (a reaper, an owner seeing its loop thread exit) wakes every thread at once
 * (wakeAllThreads in registry/wake.ts), and the loop wakes its submitter there
 * when it publishes results (the lane's L_WAKE_ROW names the word).
 * @internal
 */
import { REGISTRY_BYTES, THREAD_ROWS, WAKE_OFFSET } from './protocol.js';

/** The wake words of a registry's memory; undefined for memory that is not a registry (a unit test's). */
export function wakeWords(registry: SharedArrayBuffer): Int32Array | undefined {
  return registry.byteLength >= REGISTRY_BYTES ? new Int32Array(registry, WAKE_OFFSET, THREAD_ROWS) : undefined;
}

/** Wakes the thread that parks on `row` (a spurious wake-up for a thread that reused the row is harmless: waiters look again). */
export function wakeRow(words: Int32Array, row: number): void {
  Atomics.add(words, row, 1);
  Atomics.notify(words, row);
}
