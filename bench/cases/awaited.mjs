// Awaited round trip of a trivial task, one in flight at a time (run.mjs also runs it on one
// core and beside busy processes): sideloop's future vs piscina with one thread.
import { here, measureAsync, quick, sideloop } from '../measure.mjs';

const CALLS = quick ? 1000 : 5000;
const BATCHES = quick ? 3 : 7;

export default {
  async sideloop() {
    const { LoopManager, defineTasks } = await sideloop();
    const tasks = defineTasks(here('./tasks.mjs'));
    const mgr = new LoopManager().start();
    let x = 0;
    const r = await measureAsync(async () => {
      for (let i = 0; i < CALLS; i++) x = await mgr.submitTask(tasks.inc(x));
    }, CALLS, BATCHES);
    await mgr.stop();
    return r;
  },
  async piscina() {
    const { Piscina } = await import('piscina');
    const pool = new Piscina({ filename: here('./workers/pool-worker.mjs').href, minThreads: 1, maxThreads: 1 });
    let x = 0;
    const r = await measureAsync(async () => {
      for (let i = 0; i < CALLS; i++) x = await pool.run(x);
    }, CALLS, BATCHES);
    await pool.destroy();
    return r;
  },
};
