// Shared by every benchmark case: timing, CPU accounting, the library under test.
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';

export const quick = process.argv.includes('--quick');
export const here = (p) => new URL(p, import.meta.url);

/** The middle value of `xs` (the upper one of an even count); `xs` is left as it was. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000; // ms
};

/**
 * Every case warms up for this long before it is timed: with both cores busy spinning, the
 * JIT's background threads get little CPU, and steady state comes late (~0.5 s on Node 24).
 */
const WARM_UP_MS = quick ? 500 : 1000;

/**
 * Runs `batch()` (which does `size` operations) repeatedly; median time per op in us, and CPU per
 * op in us. At least `warmUps` batches (and WARM_UP_MS) run untimed first.
 */
export function measureSync(batch, size, batches, warmUps = 3) {
  for (let i = 0, t = performance.now(); i < warmUps || performance.now() - t < WARM_UP_MS; i++) batch();
  const times = [];
  const cpu0 = cpuNow();
  for (let b = 0; b < batches; b++) {
    const t = performance.now();
    batch();
    times.push(((performance.now() - t) * 1000) / size);
  }
  const cpu = ((cpuNow() - cpu0) * 1000) / (size * batches);
  return { value: median(times), unit: 'us/call', cpu };
}

export async function measureAsync(batch, size, batches, warmUps = 2) {
  for (let i = 0, t = performance.now(); i < warmUps || performance.now() - t < WARM_UP_MS; i++) await batch();
  const times = [];
  const cpu0 = cpuNow();
  for (let b = 0; b < batches; b++) {
    const t = performance.now();
    await batch();
    times.push(((performance.now() - t) * 1000) / size);
  }
  const cpu = ((cpuNow() - cpu0) * 1000) / (size * batches);
  return { value: median(times), unit: 'us/task', cpu };
}

/** Pipelined throughput: `count` calls of `submit(i)` in flight at once, awaited together; median per task. */
export const PIPELINED = quick ? 20000 : 100000;
export function measurePipeline(submit, count = PIPELINED, batches = quick ? 5 : 7) {
  return measureAsync(async () => {
    const all = new Array(count);
    for (let i = 0; i < count; i++) all[i] = submit(i);
    await Promise.all(all);
  }, count, batches);
}

/** A pool of piscina or tinypool with `threads` threads running the trivial task, measured pipelined. */
export async function measurePool(Pool, threads) {
  const pool = new Pool({ filename: here('./workers/pool-worker.mjs').href, minThreads: threads, maxThreads: threads, concurrentTasksPerWorker: 1024 });
  const r = await measurePipeline((i) => pool.run(i));
  await pool.destroy();
  return r;
}

export async function sideloop() {
  return import('../dist/index.js');
}


export async function startSampler() {
  const windowMs = quick ? 1000 : 2000;
  const out = new SharedArrayBuffer(8);
  const worker = new Worker(here('./workers/cpu-sampler.mjs'), { workerData: { delayMs: 500, windowMs, out } });
  // Listen now: the sampler may exit while the caller is still stopping its loop.
  const exited = new Promise((r) => worker.once('exit', r));
  await new Promise((r) => worker.once('online', r));
  return {
    totalMs: windowMs + 1000,
    async read() {
      await exited;
      return { value: new Float64Array(out)[0], unit: '% of a core', cpu: null };
    },
  };
}

export async function idleCost(rss0, cleanup) {
  await sleep(300); // let start-up work settle
  const window = quick ? 1000 : 2000;
  const cpu0 = cpuNow();
  await sleep(window);
  const cpu = cpuNow() - cpu0;
  const rssPerThread = (process.memoryUsage().rss - rss0) / 10 / 1024 / 1024;
  await cleanup();
  return { value: (cpu / window) * 100, unit: '% of a core (10 idle)', cpu: null, rssMbPerThread: rssPerThread };
}

