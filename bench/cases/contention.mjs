// 6. Contention. '4to1': four threads make blocking calls to one loop at once (synckit: each
// thread needs a worker of its own). '1to4': one thread pipelines tasks to four loops (piscina:
// four threads). Wall time per call across all threads; CPU per call of the whole process.
import { Worker } from 'node:worker_threads';
import { cpuNow, here, measurePipeline, measurePool, median, quick, sideloop } from '../measure.mjs';

const CLIENTS = 4;
const BLOCKING_CALLS = quick ? 2000 : 20000;

/** Starts the client threads, lets them warm up, then times rounds of them all calling at once: the median round. */
async function clients(mode, calls) {
  const rounds = quick ? 3 : 7;
  const gate = new SharedArrayBuffer(12);
  const flags = new Int32Array(gate);
  const workerData = {
    mode,
    calls,
    rounds,
    gate,
    tasksUrl: here('./tasks.mjs').href,
    synckitWorker: here('./workers/synckit-worker.mjs').pathname,
  };
  const workers = Array.from({ length: CLIENTS }, () => new Worker(here('./workers/contention-client.mjs'), { workerData }));
  const failed = new Promise((_, reject) => {
    for (const w of workers) w.once('error', reject);
  });
  while (Atomics.load(flags, 0) < CLIENTS) await Promise.race([failed, new Promise((r) => setTimeout(r, 5))]);
  const times = [];
  const cpu0 = cpuNow();
  for (let round = 1; round <= rounds; round++) {
    const t0 = performance.now();
    Atomics.store(flags, 1, round);
    Atomics.notify(flags, 1);
    for (let seen; (seen = Atomics.load(flags, 2)) < round * CLIENTS; ) {
      await Promise.race([failed, Atomics.waitAsync(flags, 2, seen, 100).value]);
    }
    times.push(((performance.now() - t0) * 1000) / (CLIENTS * calls));
  }
  const cpu = cpuNow() - cpu0;
  await Promise.all(workers.map((w) => w.terminate()));
  return { value: median(times), unit: 'us/call (all threads)', cpu: (cpu * 1000) / (rounds * CLIENTS * calls) };
}

export default {
  async sideloop(shape) {
    const { LoopManager, defineTasks } = await sideloop();
    const tasks = defineTasks(here('./tasks.mjs'));
    if (shape === '4to1') {
      const loop = new LoopManager({ id: 'contention' }).start();
      await loop.submitTask(tasks.inc(1));
      const r = await clients('sideloop', BLOCKING_CALLS);
      await loop.stop();
      return r;
    }
    const loops = Array.from({ length: 4 }, () => new LoopManager().start());
    const r = await measurePipeline((i) => loops[i & 3].submitTask(tasks.inc(i)));
    await Promise.all(loops.map((l) => l.stop()));
    return r;
  },
  async synckit(shape) {
    if (shape !== '4to1') throw new Error('synckit runs only the 4to1 shape');
    return clients('synckit', Math.max(200, BLOCKING_CALLS / 20));
  },
  async piscina(shape) {
    if (shape !== '1to4') throw new Error('piscina runs only the 1to4 shape');
    return measurePool((await import('piscina')).Piscina, 4);
  },
};
