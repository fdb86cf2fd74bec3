// A/B of two builds of sideloop in one process: `node bench/ab-builds.mjs <distA> <distB>`.
// Each build gets its own LoopManager; blocks of blocking calls alternate between them, so a
// noisy host (another process, a frequency change) hits both alike, where separate processes
// minutes apart can differ by 2x. Prints each build's median and quartiles (us a call) and in
// how many blocks B was faster. Env: N calls a block (20000), R blocks (30), TASK (inc).
// A build is a dist folder: `git worktree add ../base <rev> && cd ../base && npm ci && npx tsup`.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dists = process.argv.slice(2);
if (dists.length !== 2) {
  console.error('usage: node bench/ab-builds.mjs <distA> <distB>');
  process.exit(2);
}
const N = Number(process.env.N ?? 20000);
const R = Number(process.env.R ?? 30);
const task = process.env.TASK ?? 'inc';
const sides = [];
for (const dist of dists) {
  const { LoopManager, defineTasks } = await import(pathToFileURL(resolve(dist, 'index.js')).href);
  const tasks = defineTasks(new URL('./tasks.mjs', import.meta.url));
  sides.push({ dist, tasks, mgr: new LoopManager({ id: `ab-${sides.length}` }).start(), times: [] });
}
const opts = { returnSyncFuture: true };
let x = 0;
for (let r = 0; r < R; r++) {
  for (const side of r & 1 ? [...sides].reverse() : sides) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) x = side.mgr.submitTask(side.tasks[task](x), opts).result();
    if (r >= 2) side.times.push(Number(process.hrtime.bigint() - t) / N / 1000); // the first two warm up
  }
}
const at = (list, q) => [...list].sort((a, b) => a - b)[Math.floor(list.length * q)].toFixed(3);
for (const { dist, times } of sides) console.log(`${dist}: median ${at(times, 0.5)} us, quartiles ${at(times, 0.25)}-${at(times, 0.75)}`);
const wins = sides[0].times.filter((a, i) => sides[1].times[i] < a).length;
console.log(`B faster in ${wins} of ${sides[0].times.length} blocks`);
for (const { mgr } of sides) await mgr.stop();
