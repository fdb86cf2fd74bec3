/**
 * The clocks sideloop reads.
 * @internal
 */
import { nodeCompatRuntime } from './runtime.js';

/**
 * Milliseconds on the monotonic clock, for intervals measured in one thread. process.hrtime,
 * not performance.now(): it costs the same (~50 ns), and the first read of `performance` in a
 * thread loads perf_hooks (ten modules, ~1 ms of a loop thread's start, 1-2 ms of an owner's
 * first start()). Its origin is per thread on Deno and Bun: across threads, use sharedNowMs().
 */
export function nowMs(): number {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

/** process.hrtime has one origin for the whole process on Node; on Deno and Bun each thread has its own. */
const hrtimeShared = !nodeCompatRuntime;

/**
 * Milliseconds for a time one thread writes and another reads (a loop run's start): nowMs()
 * where its origin is the process's, else the wall clock through `performance`.
 */
export function sharedNowMs(): number {
  return hrtimeShared ? nowMs() : performance.timeOrigin + performance.now();
}
