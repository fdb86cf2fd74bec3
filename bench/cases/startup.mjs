// 4. Start to first result: the median of several starts in one process, or with the variant
// `cold` (startup:cold) the first one in a fresh process, from importing sideloop (what a CLI
// pays on every run).
import { Worker } from 'node:worker_threads';
import { here, median, quick, sideloop } from '../measure.mjs';

export default {
  async sideloop(variant) {
    if (variant === 'cold') {
      const t = performance.now();
      const { LoopManager, defineTasks } = await sideloop();
      const mgr = new LoopManager().start();
      await mgr.submitTask(defineTasks(here('./tasks.mjs')).inc(1));
      return { value: performance.now() - t, unit: 'ms', cpu: null };
    }
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
    return { value: median(times), unit: 'ms', cpu: null };
  },
  async 'bare Worker'(variant) {
    if (variant === 'cold') {
      const t = performance.now();
      const worker = new Worker(here('./workers/echo-worker.mjs'));
      worker.postMessage(1);
      await new Promise((r) => worker.once('message', r));
      return { value: performance.now() - t, unit: 'ms', cpu: null };
    }
    const times = [];
    for (let i = 0; i < (quick ? 3 : 7); i++) {
      const t = performance.now();
      const worker = new Worker(here('./workers/echo-worker.mjs'));
      worker.postMessage(1);
      await new Promise((r) => worker.once('message', r));
      times.push(performance.now() - t);
      await worker.terminate();
    }
    return { value: median(times), unit: 'ms', cpu: null };
  },
};
