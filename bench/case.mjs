// One benchmark case in a process of its own: `node bench/case.mjs <scenario> <contender> [--quick]`.
// Prints one JSON line: { value, unit, cpu } where cpu is process CPU time per operation in the
// same unit (both threads count: spinning is never free).
import { MessageChannel, Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';

const [scenario, contender] = process.argv.slice(2);
const quick = process.argv.includes('--quick');
const here = (p) => new URL(p, import.meta.url);

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000; // ms
};

/** Runs `batch()` (which does `size` operations) repeatedly; median time per op in us, and CPU per op in us. */
function measureSync(batch, size, batches) {
  for (let i = 0; i < 3; i++) batch(); // warm up
  const times = [];
  const cpu0 = cpuNow();
  for (let b = 0; b < batches; b++) {
    const t = performance.now();
    batch();
    times.push(((performance.now() - t) * 1000) / size);
  }
  const cpu = ((cpuNow() - cpu0) * 1000) / (size * batches);
  times.sort((a, b) => a - b);
  return { value: times[times.length >> 1], unit: 'us/call', cpu };
}

async function measureAsync(batch, size, batches) {
  for (let i = 0; i < 2; i++) await batch();
  const times = [];
  const cpu0 = cpuNow();
  for (let b = 0; b < batches; b++) {
    const t = performance.now();
    await batch();
    times.push(((performance.now() - t) * 1000) / size);
  }
  const cpu = ((cpuNow() - cpu0) * 1000) / (size * batches);
  times.sort((a, b) => a - b);
  return { value: times[times.length >> 1], unit: 'us/task', cpu };
}

async function sideloop() {
  return import('../dist/index.js');
}

const SYNC_CALLS = quick ? 2000 : 20000;
const SYNC_BATCHES = quick ? 5 : 9;
const PIPELINED = quick ? 20000 : 100000;
const PIPE_BATCHES = quick ? 3 : 7;

const cases = {
  // 1. Blocking round trip of a trivial task.
  sync: {
    async sideloop() {
      const { LoopManager, defineTasks } = await sideloop();
      const tasks = defineTasks(here('./tasks.mjs'));
      const mgr = new LoopManager().start();
      const opts = { returnSyncFuture: true };
      let x = 0;
      return measureSync(() => {
        for (let i = 0; i < SYNC_CALLS; i++) x = mgr.submitTask(tasks.inc(x), opts).result();
      }, SYNC_CALLS, SYNC_BATCHES);
    },
    async synckit() {
      const { createSyncFn } = await import('synckit');
      const inc = createSyncFn(here('./workers/synckit-worker.mjs').pathname);
      let x = 0;
      const calls = Math.max(200, SYNC_CALLS / 20);
      return measureSync(() => {
        for (let i = 0; i < calls; i++) x = inc(x);
      }, calls, SYNC_BATCHES);
    },
    async 'port+wait'() {
      const { port1, port2 } = new MessageChannel();
      const flag = new SharedArrayBuffer(4);
      const w32 = new Int32Array(flag);
      const worker = new Worker(here('./workers/port-worker.mjs'), { workerData: { port: port2, flag }, transferList: [port2] });
      worker.unref();
      const { receiveMessageOnPort } = await import('node:worker_threads');
      let x = 0;
      const call = (v) => {
        const seen = Atomics.load(w32, 0);
        port1.postMessage({ x: v });
        Atomics.wait(w32, 0, seen);
        return receiveMessageOnPort(port1).message;
      };
      const calls = Math.max(200, SYNC_CALLS / 20);
      return measureSync(() => {
        for (let i = 0; i < calls; i++) x = call(x);
      }, calls, SYNC_BATCHES);
    },
    async floor() {
      const sab = new SharedArrayBuffer(64);
      const w = new Int32Array(sab);
      const worker = new Worker(here('./workers/floor-worker.mjs'), { workerData: sab });
      worker.unref();
      await sleep(100);
      let seq = 0;
      let x = 0;
      const call = (v) => {
        Atomics.store(w, 2, v);
        Atomics.store(w, 0, ++seq);
        let i = 0;
        while (Atomics.load(w, 1) !== seq) {
          if (++i > 20000) {
            Atomics.store(w, 4, 1);
            Atomics.wait(w, 1, seq - 1, 10);
            Atomics.store(w, 4, 0);
          }
        }
        return Atomics.load(w, 3);
      };
      const r = measureSync(() => {
        for (let i = 0; i < SYNC_CALLS; i++) x = call(x);
      }, SYNC_CALLS, SYNC_BATCHES);
      Atomics.store(w, 0, -1);
      return r;
    },
  },

  // 2. Pipelined async: many trivial tasks in flight from one thread.
  pipelined: {
    async sideloop() {
      const { LoopManager, defineTasks } = await sideloop();
      const tasks = defineTasks(here('./tasks.mjs'));
      const mgr = new LoopManager().start();
      const r = await measureAsync(async () => {
        const all = new Array(PIPELINED);
        for (let i = 0; i < PIPELINED; i++) all[i] = mgr.submitTask(tasks.inc(i));
        await Promise.all(all);
      }, PIPELINED, PIPE_BATCHES);
      await mgr.stop();
      return r;
    },
    async piscina() {
      const { Piscina } = await import('piscina');
      const pool = new Piscina({ filename: here('./workers/pool-worker.mjs').href, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 1024 });
      const r = await measureAsync(async () => {
        const all = new Array(PIPELINED);
        for (let i = 0; i < PIPELINED; i++) all[i] = pool.run(i);
        await Promise.all(all);
      }, PIPELINED, PIPE_BATCHES);
      await pool.destroy();
      return r;
    },
    async tinypool() {
      const { default: Tinypool } = await import('tinypool');
      const pool = new Tinypool({ filename: here('./workers/pool-worker.mjs').href, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 1024 });
      const r = await measureAsync(async () => {
        const all = new Array(PIPELINED);
        for (let i = 0; i < PIPELINED; i++) all[i] = pool.run(i);
        await Promise.all(all);
      }, PIPELINED, PIPE_BATCHES);
      await pool.destroy();
      return r;
    },
  },

  // 4. Start to first result.
  startup: {
    async sideloop() {
      const { LoopManager, defineTasks } = await sideloop();
      const tasks = defineTasks(here('./tasks.mjs'));
      const times = [];
      for (let i = 0; i < (quick ? 3 : 7); i++) {
        const t = performance.now();
        const mgr = new LoopManager().start();
        await mgr.submitTask(tasks.inc(1));
        times.push(performance.now() - t);
        await mgr.stop();
      }
      times.sort((a, b) => a - b);
      return { value: times[times.length >> 1], unit: 'ms', cpu: null };
    },
    async 'bare Worker'() {
      const times = [];
      for (let i = 0; i < (quick ? 3 : 7); i++) {
        const t = performance.now();
        const worker = new Worker(here('./workers/echo-worker.mjs'));
        worker.postMessage(1);
        await new Promise((r) => worker.once('message', r));
        times.push(performance.now() - t);
        await worker.terminate();
      }
      times.sort((a, b) => a - b);
      return { value: times[times.length >> 1], unit: 'ms', cpu: null };
    },
  },

  // 5a. CPU used by idle loops over 2 s (10 loops), and RSS per idle loop.
  idle: {
    async sideloop() {
      const { LoopManager, defineTasks } = await sideloop();
      const tasks = defineTasks(here('./tasks.mjs'));
      const rss0 = process.memoryUsage().rss;
      const managers = Array.from({ length: 10 }, () => new LoopManager().start());
      await Promise.all(managers.map((m) => m.submitTask(tasks.inc(1))));
      return idleCost(rss0, () => Promise.all(managers.map((m) => m.stop())));
    },
    async 'bare Worker'() {
      const rss0 = process.memoryUsage().rss;
      const workers = Array.from({ length: 10 }, () => new Worker(here('./workers/echo-worker.mjs')));
      await Promise.all(workers.map((w) => (w.postMessage(1), new Promise((r) => w.once('message', r)))));
      return idleCost(rss0, () => Promise.all(workers.map((w) => w.terminate())));
    },
  },

  // 5b. CPU used while a thread is blocked in result() on a long task, measured by a sampler
  // thread over 2 s that start 0.5 s into the wait (start-up and JIT work excluded).
  blocked: {
    async sideloop() {
      const { LoopManager, defineTasks } = await sideloop();
      const tasks = defineTasks(here('./tasks.mjs'));
      const mgr = new LoopManager().start();
      await mgr.submitTask(tasks.inc(1));
      const sampler = await startSampler();
      mgr.submitTask(tasks.sleep(sampler.totalMs), { returnSyncFuture: true }).result();
      await mgr.stop();
      return sampler.read();
    },
    async synckit() {
      const { createSyncFn } = await import('synckit');
      const wait = createSyncFn(here('./workers/synckit-sleep-worker.mjs').pathname);
      wait(1);
      const sampler = await startSampler();
      wait(sampler.totalMs);
      return sampler.read();
    },
  },
};

async function startSampler() {
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

async function idleCost(rss0, cleanup) {
  await sleep(300); // let start-up work settle
  const window = quick ? 1000 : 2000;
  const cpu0 = cpuNow();
  await sleep(window);
  const cpu = cpuNow() - cpu0;
  const rssPerThread = (process.memoryUsage().rss - rss0) / 10 / 1024 / 1024;
  await cleanup();
  return { value: (cpu / window) * 100, unit: '% of a core (10 idle)', cpu: null, rssMbPerThread: rssPerThread };
}

const run = cases[scenario]?.[contender];
if (!run) {
  console.error(`unknown case ${scenario}/${contender}`);
  process.exit(2);
}
const result = await run();
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
