// 2. Pipelined async: many trivial tasks in flight from one thread.
import { here, measurePipeline, measurePool, sideloop } from '../measure.mjs';

export default {
  async sideloop() {
    const { LoopManager, defineTasks } = await sideloop();
    const tasks = defineTasks(here('./tasks.mjs'));
    const mgr = new LoopManager().start();
    const r = await measurePipeline((i) => mgr.submitTask(tasks.inc(i)));
    await mgr.stop();
    return r;
  },
  async piscina() {
    return measurePool((await import('piscina')).Piscina, 1);
  },
  async tinypool() {
    return measurePool((await import('tinypool')).default, 1);
  },
};
