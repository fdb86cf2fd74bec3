// Measures the whole process's CPU over a window that starts after a delay, from a thread of
// its own: the thread under test is blocked and cannot measure itself.
import { workerData } from 'node:worker_threads';
const { delayMs, windowMs, out } = workerData;
const result = new Float64Array(out);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
setTimeout(() => {
  const c0 = cpu();
  const t0 = performance.now();
  setTimeout(() => {
    result[0] = ((cpu() - c0) / (performance.now() - t0)) * 100;
  }, windowMs);
}, delayMs);
