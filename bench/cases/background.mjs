// 1b. Blocking round trip of a trivial task while another task of the same loop runs throughout
// (a watcher, a long poll): the loop must not park between calls because a task is running.
// synckit's worker runs one call at a time, so its figure is its plain round trip (sync.mjs).
import { here, measureSync, quick, sideloop } from '../measure.mjs';
import sync from './sync.mjs';

const CALLS = quick ? 2000 : 20000;
const BATCHES = quick ? 5 : 9;

export default {
  async sideloop() {
    const { LoopManager, defineTasks } = await sideloop();
    const tasks = defineTasks(here('./tasks.mjs'));
    const mgr = new LoopManager().start();
    const opts = { returnSyncFuture: true };
    const background = mgr.submitTask(tasks.sleep(600_000));
    let x = 0;
    const r = measureSync(() => {
      for (let i = 0; i < CALLS; i++) x = mgr.submitTask(tasks.inc(x), opts).result();
    }, CALLS, BATCHES);
    background.cancel();
    await background.catch(() => {});
    return r;
  },
  synckit: sync.synckit,
};
