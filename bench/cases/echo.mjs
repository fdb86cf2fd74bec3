// Blocking echo of a payload (the variant): it goes to the other thread and comes back whole.
// Plain objects and strings, the values sync APIs pass around, vs synckit (structured clone
// through a MessagePort).
import { here, measureSync, quick, sideloop } from '../measure.mjs';

/** A plain object whose JSON is about `bytes` long: records of the kind a config or an AST holds. */
function plainObject(bytes) {
  const items = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const item = { id: i, name: `item-${i}`, enabled: i % 3 === 0, score: i * 1.5, tags: ['alpha', 'beta', `t${i % 7}`], owner: { id: i % 97, login: `user${i % 97}` } };
    items.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return { kind: 'list', total: items.length, items };
}

const payloads = {
  '1k-string': { make: () => 'x'.repeat(1 << 10), calls: quick ? 2000 : 20000 },
  '64k-object': { make: () => plainObject(64 << 10), calls: quick ? 50 : 300 },
  '1m-object': { make: () => plainObject(1 << 20), calls: quick ? 5 : 20 },
  '16m-string': { make: () => 'y'.repeat(16 << 20), calls: quick ? 3 : 10 },
};
const BATCHES = quick ? 3 : 7;

export default {
  async sideloop(variant) {
    const { make, calls } = payloads[variant];
    const value = make();
    const { LoopManager, defineTasks } = await sideloop();
    const tasks = defineTasks(here('./tasks.mjs'));
    const mgr = new LoopManager().start();
    const opts = { returnSyncFuture: true };
    const r = measureSync(() => {
      for (let i = 0; i < calls; i++) mgr.submitTask(tasks.echo(value), opts).result();
    }, calls, BATCHES);
    await mgr.stop();
    return r;
  },
  async synckit(variant) {
    const { make, calls } = payloads[variant];
    const value = make();
    const { createSyncFn } = await import('synckit');
    const echo = createSyncFn(here('./workers/synckit-echo-worker.mjs').pathname);
    return measureSync(() => {
      for (let i = 0; i < calls; i++) echo(value);
    }, calls, BATCHES);
  },
};
