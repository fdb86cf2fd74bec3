// 4. Start to first result.
import { Worker } from 'node:worker_threads';
import { here, quick, sideloop } from '../measure.mjs';

export default {
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
};
