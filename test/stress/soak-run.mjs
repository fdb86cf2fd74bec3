// The soak, run in a child process with --expose-gc by soak.test.mjs:
//   node --expose-gc soak-run.mjs <tasks> <seed>
// <tasks> tasks over 4 loops from 3 submitting threads, with random failures, cancellations
// and timeouts, some blocking. Every future settles exactly once, the totals the threads saw
// match each loop's stats(), and heap and RSS after GC come back within a bound. Prints one
// JSON line: { failures, figures }.
import { Worker } from 'node:worker_threads';
import { getOrCreateLoopManager, inlineTask } from '../../dist/index.js';
import { distUrl } from './common.mjs';

const TASKS = Number(process.argv[2] ?? 1000000);
const SEED = Number(process.argv[3] ?? 1) >>> 0;
const LOOPS = 4;
const THREADS = 3;
const failures = [];
const gc = globalThis.gc ?? (() => {});

const ids = Array.from({ length: LOOPS }, (_, i) => `soak-${i}`);
const loops = ids.map((id) => getOrCreateLoopManager({ id }).start());
const loopMemory = () => Promise.all(loops.map((m) => m.submitTask(inlineTask(() => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}))));
function memory() {
  gc();
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

// Warm up every path once (and count it), then take the baseline.
const mainSeen = ids.map(() => ({ completed: 0, failed: 0, cancelled: 0 }));
/** loopMemory() ran one task on each loop. */
function countLoopMemoryCalls() {
  for (const s of mainSeen) s.completed++;
}
async function warmRound() {
  for (let i = 0; i < LOOPS; i++) {
    await loops[i].submitTask(inlineTask((x) => x, 1));
    mainSeen[i].completed++;
  }
}
await warmRound();
await loopMemory();
countLoopMemoryCalls();
const before = memory();
const loopHeapBefore = await loopMemory();
countLoopMemoryCalls();

const workerSource = `
import { getOrCreateLoopManager, inlineTask } from ${JSON.stringify(distUrl)};
import { parentPort, workerData } from 'node:worker_threads';
const { ids, count, seed } = workerData;
let a = seed >>> 0;
const rand = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const loops = ids.map((id) => getOrCreateLoopManager({ id, strictlyGet: true }));
const seen = ids.map(() => ({ completed: 0, failed: 0, cancelled: 0 }));
const settles = new Uint8Array(count);
const ok = (x) => x;
const fail = (x) => { throw new RangeError('failed ' + x); };
const slow = (ms) => new Promise((r) => setTimeout(r, ms, ms));
const classify = (loop, i) => [
  () => { settles[i]++; seen[loop].completed++; },
  (e) => { settles[i]++; if (e.name === 'CancelledError' || e.name === 'TimeoutError') seen[loop].cancelled++; else if (e.name === 'RangeError') seen[loop].failed++; else unexpected.push(e.name + ': ' + e.message); },
];
const unexpected = [];
const BURST = 2000;
for (let start = 0; start < count; start += BURST) {
  const pending = [];
  for (let i = start; i < Math.min(count, start + BURST); i++) {
    const loop = Math.floor(rand() * ids.length);
    const r = rand();
    const [onOk, onErr] = classify(loop, i);
    if (r < 0.002) {
      // Blocking, now and then.
      const f = loops[loop].submitTask(inlineTask(ok, i), { returnSyncFuture: true });
      try { f.result(); onOk(); } catch (e) { onErr(e); }
      continue;
    }
    let future;
    if (r < 0.80) future = loops[loop].submitTask(inlineTask(ok, i));
    else if (r < 0.88) future = loops[loop].submitTask(inlineTask(fail, i));
    else if (r < 0.92) future = loops[loop].submitTask(inlineTask(slow, 1 + Math.floor(rand() * 3)), { timeoutMs: Math.floor(rand() * 3) });
    else future = loops[loop].submitTask(inlineTask(ok, i), { returnSyncFuture: rand() < 0.3 });
    if (r >= 0.92) {
      const when = rand();
      if (when < 0.3) future.cancel();
      else if (when < 0.6) queueMicrotask(() => future.cancel());
      else setImmediate(() => future.cancel());
    }
    pending.push(Promise.resolve(future).then(onOk, onErr));
  }
  await Promise.all(pending);
}
// One more call per loop: its answer comes after every earlier one, so every answer has been read.
for (let i = 0; i < ids.length; i++) { await loops[i].submitTask(inlineTask(ok, -1)); seen[i].completed++; }
let twice = 0, never = 0;
for (const n of settles) { if (n === 0) never++; else if (n > 1) twice++; }
parentPort.postMessage({ seen, twice, never, unexpected: unexpected.slice(0, 5), unexpectedCount: unexpected.length });
`;

const started = performance.now();
const perThread = Math.ceil(TASKS / THREADS);
const reports = await Promise.all(
  Array.from({ length: THREADS }, (_, t) => {
    const worker = new Worker(workerSource, { eval: true, workerData: { ids, count: perThread, seed: (SEED + t * 7919) >>> 0 } });
    return new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  }),
);
const seconds = (performance.now() - started) / 1000;

let total = 0;
for (const [t, r] of reports.entries()) {
  if (r.twice > 0 || r.never > 0) failures.push(`thread ${t}: ${r.never} futures never settled, ${r.twice} settled twice`);
  if (r.unexpectedCount > 0) failures.push(`thread ${t}: ${r.unexpectedCount} unexpected errors, e.g. ${r.unexpected.join('; ')}`);
}
const loopHeapAfter = await loopMemory();
countLoopMemoryCalls();
for (let i = 0; i < LOOPS; i++) {
  const seen = { ...mainSeen[i] };
  for (const r of reports) for (const k of ['completed', 'failed', 'cancelled']) seen[k] += r.seen[i][k];
  total += seen.completed + seen.failed + seen.cancelled;
  const { completed, failed, cancelled, pending, running } = loops[i].stats();
  const stats = { completed, failed, cancelled, pending, running };
  const want = { ...seen, pending: 0, running: 0 };
  if (JSON.stringify(stats) !== JSON.stringify(want)) failures.push(`loop ${ids[i]}: stats() ${JSON.stringify(stats)}, futures ${JSON.stringify(want)}`);
}
await new Promise((r) => setTimeout(r, 100));
const after = memory();
const mb = (n) => Math.round((n / 1048576) * 10) / 10;
const figures = {
  tasks: total,
  seconds: Math.round(seconds * 10) / 10,
  heapGrowthMb: mb(after.heapUsed - before.heapUsed),
  rssGrowthMb: mb(after.rss - before.rss),
  loopHeapGrowthMb: Math.max(...loopHeapAfter.map((h, i) => mb(h - loopHeapBefore[i]))),
  rssMb: mb(after.rss),
};
for (const m of loops) await m.stop();
console.log(JSON.stringify({ failures, figures }));
process.exit(0);
