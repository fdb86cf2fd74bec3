// 2. Pipelined async: many trivial tasks in flight from one thread.
import { here, measureAsync, quick, sideloop } from '../measure.mjs';

const PIPELINED = quick ? 20000 : 100000;
const PIPE_BATCHES = quick ? 3 : 7;

export default {
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
};
