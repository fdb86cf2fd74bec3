// 5b. CPU used while a thread is blocked in result() on a long task, measured by a sampler
// thread over 2 s that start 0.5 s into the wait (start-up and JIT work excluded).
import { here, sideloop, startSampler } from '../measure.mjs';

export default {
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
};
