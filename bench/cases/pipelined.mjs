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
  // No threads at all: this thread makes each promise, keeps its resolver in a table as any
  // library must, and settles it a turn later. What holding that many futures costs by itself.
  async 'promises only'() {
    const pending = [];
    const settleAll = () => {
      for (let i = 0; i < pending.length; i++) pending[i](i + 1);
      pending.length = 0;
    };
    return measurePipeline(() => {
      if (pending.length === 0) setImmediate(settleAll);
      return new Promise((resolve) => pending.push(resolve));
    });
  },
  async tinypool() {
    return measurePool((await import('tinypool')).default, 1);
  },
};
