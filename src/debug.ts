import { debuglog } from 'node:util';

/**
 * `NODE_DEBUG=sideloop` prints lifecycle events to stderr, in every thread: loop starts,
 * stops and crashes, lanes connecting, and slow calls.
 */
export const debug = debuglog('sideloop');

/** Read once, as Node reads NODE_DEBUG once: when false, nothing on a call's path measures time. */
export const debugEnabled: boolean = typeof debug.enabled === 'boolean' ? debug.enabled : namedInNodeDebug(process.env.NODE_DEBUG);

/** For runtimes whose debuglog has no `enabled` (Bun): NODE_DEBUG's comma-separated names, `*` a wildcard. */
function namedInNodeDebug(value: string | undefined): boolean {
  return (value ?? '').split(/[\s,]+/).some((name) => name !== '' && new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test('sideloop'));
}

/** Tasks and blocking waits longer than this (ms) are reported as slow: SIDELOOP_SLOW_MS, default 100. */
export const slowMs: number = debugEnabled ? readSlowMs(process.env.SIDELOOP_SLOW_MS) : Number.POSITIVE_INFINITY;

function readSlowMs(raw: string | undefined): number {
  const ms = raw === undefined || raw === '' ? Number.NaN : Number(raw);
  return Number.isFinite(ms) && ms >= 0 ? ms : 100;
}
