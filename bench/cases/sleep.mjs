// CPU honesty: blocking calls of a task that sleeps 1 ms or 10 ms (the variant). Wall time is
// the sleep plus the hand-offs; what matters is the process CPU per call (both threads count),
// which any spinning or polling while the task sleeps would inflate.
import { here, measureSync, quick, sideloop } from '../measure.mjs';

const calls = (ms) => Math.max(5, Math.round((quick ? 100 : 400) / ms));
const BATCHES = quick ? 3 : 7;

export default {
  async sideloop(variant) {
    const ms = Number(variant);
    const { LoopManager, defineTasks } = await sideloop();
    const tasks = defineTasks(here('./tasks.mjs'));
    const mgr = new LoopManager().start();
    const opts = { returnSyncFuture: true };
    const n = calls(ms);
    const r = measureSync(() => {
      for (let i = 0; i < n; i++) mgr.submitTask(tasks.sleep(ms), opts).result();
    }, n, BATCHES);
    await mgr.stop();
    return r;
  },
  async synckit(variant) {
    const ms = Number(variant);
    const { createSyncFn } = await import('synckit');
    const wait = createSyncFn(here('./workers/synckit-sleep-worker.mjs').pathname);
    const n = calls(ms);
    return measureSync(() => {
      for (let i = 0; i < n; i++) wait(ms);
    }, n, BATCHES);
  },
};
