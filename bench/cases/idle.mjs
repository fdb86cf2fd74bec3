// 5a. CPU used by idle loops over 2 s (10 loops), and RSS per idle loop.
import { Worker } from 'node:worker_threads';
import { here, idleCost, sideloop } from '../measure.mjs';

export default {
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
};
