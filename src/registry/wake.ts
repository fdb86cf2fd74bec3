/**
 * Waking every waiter in the process when a loop run ends in a way its loop
 * thread may not announce: its owner died without running JavaScript, its
 * thread ran out of memory, or it was terminated after a stop that timed out.
 * A waiter in any thread then looks at its loop at once, instead of at the
 * end of its park slice (up to a second or two on a loaded machine):
 *
 * - a thread blocked in result() parks on its own wake word (channel/wake.ts):
 *   every live thread's word is bumped and notified;
 * - a thread awaiting futures has an Atomics.waitAsync on H_ENDS while its
 *   pollers are parked (client/end-watch.ts): the word is bumped and notified.
 *
 * Ends are rare, and a wake-up that finds its own loop running costs a waiter
 * one look, so every thread is woken rather than only the run's waiters, whom
 * no thread knows.
 * @internal
 */
import { H_ENDS, REGISTRY_BYTES, REGISTRY_HEADER_BYTES, T_ID, THREAD_ROW_WORDS, THREAD_ROWS, THREADS_OFFSET } from '../channel/protocol.js';
import { wakeRow, wakeWords } from '../channel/wake.js';

export function wakeAllThreads(registry: SharedArrayBuffer): void {
  if (registry.byteLength < REGISTRY_BYTES) return;
  const header = new Int32Array(registry, 0, REGISTRY_HEADER_BYTES >>> 2);
  Atomics.add(header, H_ENDS, 1);
  Atomics.notify(header, H_ENDS);
  const rows = new Int32Array(registry, THREADS_OFFSET, THREAD_ROWS * THREAD_ROW_WORDS);
  const words = wakeWords(registry)!;
  for (let row = 0; row < THREAD_ROWS; row++) {
    if (Atomics.load(rows, row * THREAD_ROW_WORDS + T_ID) !== 0) wakeRow(words, row);
  }
}
