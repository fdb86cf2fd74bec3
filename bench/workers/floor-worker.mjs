// The floor: a bare shared-memory round trip to an awaited async function. No library,
// no encoding: the caller writes an int, the worker spins in the microtask queue, awaits
// the function and writes the answer.
import { workerData } from 'node:worker_threads';
const w = new Int32Array(workerData);
async function task(x) {
  return x + 1;
}
let seen = 0;
for (;;) {
  const r = Atomics.load(w, 0);
  if (r === -1) break;
  if (r !== seen) {
    seen = r;
    const v = await task(Atomics.load(w, 2));
    Atomics.store(w, 3, v);
    Atomics.store(w, 1, r);
    if (Atomics.load(w, 4) === 1) Atomics.notify(w, 1);
  } else {
    await null;
  }
}
