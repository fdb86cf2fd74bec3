// CPU honesty: blocking calls of a task that sleeps 1 ms or 10 ms (the variant). Wall time is
// the sleep plus the hand-offs; what matters is the process CPU per call (both threads count),
// which any spinning or polling while the task sleeps would inflate.
import { here, measureSync, quick, sideloop } from '../measure.mjs';

const calls = (ms) => Math.max(5, Math.round((quick ? 100 : 400) / ms));
const BATCHES = quick ? 3 : 7;
/**
 * Blocking calls of a 1 ms task that each contender makes before its timed ones, whatever the
 * variant. V8 optimizes a function only after many calls, and compiles it on threads of its
 * own whose CPU the process pays: around the 1000th call, compiling cost sideloop ~100 us a
 * call and synckit ~60, more than the hand-offs measured here; by the 3000th, ~5 us for both.
 * measureSync's warm-up is by time (~750 calls of 1 ms, ~90 of 10 ms), too few.
 */
const JIT_CALLS = quick ? 1500 : 3000;
const jitWarmUp = (call) => {
  for (let i = 0; i < JIT_CALLS; i++) call(1);
};

export default {
  async sideloop(variant) {
    const ms = Number(variant);
    const { LoopManager, defineTasks } = await sideloop();
    const tasks = defineTasks(here('./tasks.mjs'));
    const mgr = new LoopManager().start();
    const opts = { returnSyncFuture: true };
    const n = calls(ms);
    jitWarmUp((t) => mgr.submitTask(tasks.sleep(t), opts).result());
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
    jitWarmUp(wait);
    return measureSync(() => {
      for (let i = 0; i < n; i++) wait(ms);
    }, n, BATCHES);
  },
};
