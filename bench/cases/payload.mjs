// 3. Payloads, one awaited round trip at a time: a 1 KiB object and a 64 KiB string go there and
// back; a 1 MiB ArrayBuffer is transferred there and its size comes back. Against raw postMessage.
import { Worker } from 'node:worker_threads';
import { here, measureAsync, quick, sideloop } from '../measure.mjs';

const payloads = {
  '1k': { calls: quick ? 1000 : 5000, make: () => object1k },
  '64k': { calls: quick ? 200 : 1000, make: () => string64k },
  '1m': { calls: quick ? 100 : 400, make: () => new ArrayBuffer(1 << 20), transfer: true },
};
const object1k = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`key${i}`, `value-${String(i).padStart(20, '0')}`]));
const string64k = 'x'.repeat(1 << 16);
const BATCHES = quick ? 3 : 7;

export default {
  async sideloop(size) {
    const { calls, make, transfer } = payloads[size];
    const { LoopManager, defineTasks } = await sideloop();
    const tasks = defineTasks(here('./tasks.mjs'));
    const mgr = new LoopManager().start();
    const r = await measureAsync(async () => {
      for (let i = 0; i < calls; i++) {
        const value = make();
        if (transfer) await mgr.submitTask(tasks.size(value), { transfer: [value] });
        else await mgr.submitTask(tasks.echo(value));
      }
    }, calls, BATCHES);
    await mgr.stop();
    return r;
  },
  async postMessage(size) {
    const { calls, make, transfer } = payloads[size];
    const worker = new Worker(here('./workers/payload-worker.mjs'));
    const next = () => new Promise((r) => worker.once('message', r));
    const r = await measureAsync(async () => {
      for (let i = 0; i < calls; i++) {
        const value = make();
        worker.postMessage(value, transfer ? [value] : undefined);
        await next();
      }
    }, calls, BATCHES);
    await worker.terminate();
    return r;
  },
};
