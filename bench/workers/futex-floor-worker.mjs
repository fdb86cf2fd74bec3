// The one-core floor: a bare Atomics.wait/notify ping-pong, no spinning, no library, no
// encoding. The caller writes a request and notifies; this worker, parked in Atomics.wait,
// answers and notifies back. On one core every hand-off is a futex wake-up each way.
import { workerData } from 'node:worker_threads';
const w = new Int32Array(workerData);
let seen = 0;
for (;;) {
  Atomics.wait(w, 0, seen);
  const r = Atomics.load(w, 0);
  if (r === -1) break;
  if (r === seen) continue;
  seen = r;
  Atomics.store(w, 3, Atomics.load(w, 2) + 1);
  Atomics.store(w, 1, r);
  Atomics.notify(w, 1);
}
