// Shared by the stress suite (npm run test:stress): its size, a seeded random generator, and
// a child-process runner. SIDELOOP_STRESS_SIZE=full (the default) or ci (what CI runs, a few
// minutes on 2 cores).
import { fileURLToPath } from 'node:url';
import { spawnWithTimeout } from '../spawn.mjs';

export const SIZE = process.env.SIDELOOP_STRESS_SIZE === 'ci' ? 'ci' : 'full';
if (!['ci', 'full', undefined].includes(process.env.SIDELOOP_STRESS_SIZE)) {
  throw new RangeError(`SIDELOOP_STRESS_SIZE must be "full" or "ci", got ${JSON.stringify(process.env.SIDELOOP_STRESS_SIZE)}`);
}

/** `full` at full size, `ci` at CI size. */
export const bySize = (full, ci) => (SIZE === 'full' ? full : ci);

export const distUrl = new URL('../../dist/index.js', import.meta.url).href;
export const tasksUrl = new URL('../fixtures/tasks.mjs', import.meta.url).href;

/** A seeded generator (mulberry32): the same seed gives the same run, so a failure can be replayed. */
export function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

/** A seed from the environment (SIDELOOP_STRESS_SEED) or the clock; printed by whoever uses it. */
export function seedFromEnv() {
  const given = process.env.SIDELOOP_STRESS_SEED;
  return given !== undefined ? Number(given) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
}

/**
 * Runs `file` (next to this one) in a child Node process with `args`; a hang past
 * `timeoutMs` kills it. Resolves with its exit, output, and the JSON it printed last.
 */
export async function runChild(file, args, { timeoutMs = 60000, execArgv = [], env = {} } = {}) {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const run = await spawnWithTimeout(process.execPath, [...execArgv, path, ...args], { timeoutMs, env: { ...process.env, ...env } });
  const { code, signal, killed, stdout, stderr } = run;
  const last = stdout.trim().split('\n').pop() ?? '';
  let report;
  try {
    report = JSON.parse(last);
  } catch {
    report = undefined;
  }
  return { code, signal, killed, stdout, stderr, report };
}

/** What a failed child run says, for an assertion message. */
export function describeRun(run) {
  const tail = (s) => s.split('\n').slice(-15).join('\n');
  return `exit ${run.code}${run.signal ? ` (${run.signal})` : ''}${run.killed ? ', killed after its timeout (a hang)' : ''}\n--- stdout\n${tail(run.stdout)}\n--- stderr\n${tail(run.stderr)}`;
}
