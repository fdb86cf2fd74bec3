// Hand-written baseline: a MessagePort request, an Atomics.wait for the answer (synckit's design, minus the library).
import { workerData } from 'node:worker_threads';
const { port, flag } = workerData;
const w = new Int32Array(flag);
port.on('message', async ({ x }) => {
  const v = await (async (y) => y + 1)(x);
  port.postMessage(v);
  Atomics.add(w, 0, 1);
  Atomics.notify(w, 0);
});
