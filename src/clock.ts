/**
 * The clocks sideloop reads.
 * @internal
 */

/**
 * Milliseconds on the monotonic clock, for intervals measured in one thread. process.hrtime,
 * not performance.now(): it costs the same (~50 ns), and the first read of `performance` in a
 * thread loads perf_hooks (ten modules, ~1 ms of a loop thread's start). Its origin is per
 * thread on Deno: never compare its times across threads.
 */
export function nowMs(): number {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

/** Wall-clock milliseconds, sub-millisecond: for a time one thread writes and another reads (a loop run's start). */
export function sharedNowMs(): number {
  return performance.timeOrigin + performance.now();
}
