// One of several threads making blocking calls at once: through a loop of the main thread found
// by lineage (sideloop), or through a synckit worker of its own (synckit cannot share one).
// Runs `rounds` rounds of `calls` calls, each when the main thread says go.
import { workerData } from 'node:worker_threads';

const { mode, calls, rounds, gate, tasksUrl, synckitWorker } = workerData;
const flags = new Int32Array(gate); // [ready, round to run, rounds finished by all]
let call;
if (mode === 'sideloop') {
  const { getOrCreateLoopManager, defineTasks } = await import('../../dist/index.js');
  const tasks = defineTasks(new URL(tasksUrl));
  const loop = getOrCreateLoopManager({ id: 'contention', strictlyGet: true });
  const opts = { returnSyncFuture: true };
  call = (x) => loop.submitTask(tasks.inc(x), opts).result();
} else {
  const { createSyncFn } = await import('synckit');
  call = createSyncFn(synckitWorker);
}
let x = 0;
for (let i = 0; i < calls; i++) x = call(x); // warm up
Atomics.add(flags, 0, 1);
for (let round = 1; round <= rounds; round++) {
  while (Atomics.load(flags, 1) < round) Atomics.wait(flags, 1, round - 1, 100);
  for (let i = 0; i < calls; i++) x = call(x);
  Atomics.add(flags, 2, 1);
  Atomics.notify(flags, 2);
}
