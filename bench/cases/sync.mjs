// 1. Blocking round trip of a trivial task. With the variant `background` (sync:background),
// while another task of the same loop runs throughout (a watcher, a long poll): the loop must
// not park between calls because a task is running. synckit's worker runs one call at a time,
// so its figure there is its plain round trip.
import { MessageChannel, Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { here, measureSync, quick, sideloop } from '../measure.mjs';

const SYNC_CALLS = quick ? 2000 : 20000;
const SYNC_BATCHES = quick ? 5 : 9;

export default {
  async sideloop(variant) {
    const { LoopManager, defineTasks } = await sideloop();
    const tasks = defineTasks(here('./tasks.mjs'));
    const mgr = new LoopManager().start();
    const opts = { returnSyncFuture: true };
    if (variant === 'background') mgr.submitTask(tasks.sleep(600_000)).catch(() => {}); // case.mjs exits when done
    let x = 0;
    return measureSync(() => {
      for (let i = 0; i < SYNC_CALLS; i++) x = mgr.submitTask(tasks.inc(x), opts).result();
    }, SYNC_CALLS, SYNC_BATCHES);
  },
  async synckit() {
    const { createSyncFn } = await import('synckit');
    const inc = createSyncFn(here('./workers/synckit-worker.mjs').pathname);
    let x = 0;
    const calls = Math.max(200, SYNC_CALLS / 20);
    return measureSync(() => {
      for (let i = 0; i < calls; i++) x = inc(x);
    }, calls, SYNC_BATCHES);
  },
  async 'port+wait'() {
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    const w32 = new Int32Array(flag);
    const worker = new Worker(here('./workers/port-worker.mjs'), { workerData: { port: port2, flag }, transferList: [port2] });
    worker.unref();
    const { receiveMessageOnPort } = await import('node:worker_threads');
    let x = 0;
    const call = (v) => {
      port1.postMessage({ x: v });
      for (;;) {
        // The answer was once missing after the wake-up (1 of 5 full runs): look again, and
        // never wait without a bound on a count that may have moved before the look.
        const seen = Atomics.load(w32, 0);
        const answer = receiveMessageOnPort(port1);
        if (answer) return answer.message;
        Atomics.wait(w32, 0, seen, 1);
      }
    };
    const calls = Math.max(200, SYNC_CALLS / 20);
    return measureSync(() => {
      for (let i = 0; i < calls; i++) x = call(x);
    }, calls, SYNC_BATCHES);
  },
  /** The one-core floor: a bare Atomics.wait/notify ping-pong with a worker (no spinning, no encoding). */
  'futex floor': () =>
    floorCase('./workers/futex-floor-worker.mjs', (w, seq, v) => {
      Atomics.store(w, 2, v);
      Atomics.store(w, 0, seq);
      Atomics.notify(w, 0);
      while (Atomics.load(w, 1) !== seq) Atomics.wait(w, 1, seq - 1);
      return Atomics.load(w, 3);
    }),
  floor: () =>
    floorCase('./workers/floor-worker.mjs', (w, seq, v) => {
      Atomics.store(w, 2, v);
      Atomics.store(w, 0, seq);
      let i = 0;
      while (Atomics.load(w, 1) !== seq) {
        if (++i > 20000) {
          Atomics.store(w, 4, 1);
          Atomics.wait(w, 1, seq - 1, 10);
          Atomics.store(w, 4, 0);
        }
      }
      return Atomics.load(w, 3);
    }),
};

/** A bare shared-memory round trip with a worker of `file`: `call(words, seq, v)` sends `v` as request `seq` and returns the answer. */
async function floorCase(file, call) {
  const w = new Int32Array(new SharedArrayBuffer(64));
  const worker = new Worker(here(file), { workerData: w.buffer });
  worker.unref();
  await sleep(100);
  let seq = 0;
  let x = 0;
  const r = measureSync(() => {
    for (let i = 0; i < SYNC_CALLS; i++) x = call(w, ++seq, x);
  }, SYNC_CALLS, SYNC_BATCHES);
  Atomics.store(w, 0, -1);
  Atomics.notify(w, 0);
  return r;
}
