// Bytes the submitting thread keeps per awaited future in flight: at 100k in flight all of
// it survives young-generation collections, and copying it is most of what a pipelined task
// costs on that thread. Run: node --expose-gc bench/retained.mjs
import { LoopManager, defineTasks } from '../dist/index.js';

if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
const tasks = defineTasks(new URL('./tasks.mjs', import.meta.url));
const mgr = new LoopManager().start();
await mgr.submitTask(tasks.sleep(1));
const N = 20000;
const results = [];
for (let round = 0; round < 4; round++) {
  const all = new Array(N);
  gc();
  const before = process.memoryUsage().heapUsed;
  // Each task sleeps, so every future is still in flight when the heap is measured.
  for (let i = 0; i < N; i++) all[i] = mgr.submitTask(tasks.sleep(300));
  gc();
  results.push((process.memoryUsage().heapUsed - before) / N);
  await Promise.all(all);
}
await mgr.stop();
results.sort((a, b) => a - b);
console.log(`retained per awaited future in flight: ${results[1].toFixed(0)}-${results[2].toFixed(0)} bytes`);
