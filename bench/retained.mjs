// Bytes the submitting thread keeps per future: at 100k in flight what survives young-generation
// collections is copied by each of them, and that copying is most of what a pipelined task costs
// on that thread. Run: node --expose-gc bench/retained.mjs
import { LoopManager, defineTasks } from '../dist/index.js';

if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
const tasks = defineTasks(new URL('./tasks.mjs', import.meta.url));
const mgr = new LoopManager().start();
await mgr.submitTask(tasks.sleep(1));
const N = 20000;

/** Heap bytes per future that `submitAll` leaves. Its own call, so no stale register keeps a previous round's futures. */
async function measureRound(submitAll) {
  gc();
  const before = process.memoryUsage().heapUsed;
  let all = await submitAll();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / N;
  await Promise.all(all);
  all = null;
  return bytes;
}

/** The second of four sorted rounds, and the third: what most rounds see. */
async function perFuture(submitAll) {
  const results = [];
  for (let round = 0; round < 4; round++) results.push(await measureRound(submitAll));
  results.sort((a, b) => a - b);
  return `${results[1].toFixed(0)}-${results[2].toFixed(0)} bytes`;
}

// Each task sleeps, so every future is still in flight when the heap is measured.
const inFlight = await perFuture(async () => Array.from({ length: N }, () => mgr.submitTask(tasks.sleep(300))));
// Every task has finished and its future settled (none awaited yet): what a future keeps once done.
const settled = await perFuture(async () => {
  const all = Array.from({ length: N }, (_, i) => mgr.submitTask(tasks.inc(i)));
  while (!all[N - 1].done()) await new Promise((r) => setImmediate(r));
  return all;
});
await mgr.stop();
console.log(`retained per awaited future in flight: ${inFlight}`);
console.log(`retained per settled future: ${settled}`);
