import type { DebugLogger } from 'node:util';
import { lazyBuiltin } from './builtin.js';

const util = lazyBuiltin<typeof import('node:util')>('node:util');
const nodeDebug = process.env.NODE_DEBUG;

/**
 * `NODE_DEBUG=sideloop` prints lifecycle events to stderr, in every thread: loop starts,
 * stops and crashes, lanes connecting, and slow calls. node:util is loaded only when
 * NODE_DEBUG names anything (builtin.ts says why).
 */
export const debug: DebugLogger = nodeDebug ? util().debuglog('sideloop') : Object.assign(() => {}, { enabled: false });

/** Read once, as Node reads NODE_DEBUG once: when false, nothing on a call's path measures time. */
export const debugEnabled: boolean = typeof debug.enabled === 'boolean' ? debug.enabled : namedInNodeDebug(nodeDebug);

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

/**
 * A count of one decision of the waiting policy in this thread, in
 * `globalThis[Symbol.for('sideloop.<name>')].count`: a task can read it to see what the policy
 * decided without timing it (test/wait-policy.test.mjs). A field of an object made once, not a
 * property of globalThis: a store there takes V8's slow path (~0.1 us), and some count every call.
 */
export function policyCounter(name: string): () => void {
  const key = Symbol.for(`sideloop.${name}`);
  const counted = globalThis as { [key: symbol]: { count: number } | undefined };
  const counter = (counted[key] ??= { count: 0 });
  return () => {
    counter.count++;
  };
}
