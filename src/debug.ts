import { debuglog } from 'node:util';

/**
 * `NODE_DEBUG=sideloop` prints lifecycle events to stderr, in every thread: loop starts,
 * stops and crashes, lanes connecting, and slow calls.
 */
export const debug = debuglog('sideloop');

/** Read once, as Node reads NODE_DEBUG once: when false, nothing on a call's path measures time. */
export const debugEnabled: boolean = debug.enabled;

/** Tasks and blocking waits longer than this (ms) are reported as slow: SIDELOOP_SLOW_MS, default 100. */
export const slowMs: number = debugEnabled ? readSlowMs(process.env.SIDELOOP_SLOW_MS) : Number.POSITIVE_INFINITY;

function readSlowMs(raw: string | undefined): number {
  const ms = raw === undefined || raw === '' ? Number.NaN : Number(raw);
  return Number.isFinite(ms) && ms >= 0 ? ms : 100;
}
