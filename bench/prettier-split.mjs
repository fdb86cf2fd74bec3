// `node bench/prettier-split.mjs [rounds]`: where a blocking prettier call's time goes, in one
// process. Batches over the prettier case's files rotate between sideloop and @prettier/sync's
// make-synchronized worker (given our task module as its prettier entry), both a call a file,
// and one sideloop call formatting the whole batch. Each thread times prettier.format inside
// itself, so a call's time splits into the formatting and what is around it (the hand-off both
// ways). Not part of `npm run bench`: a diagnostic for docs/performance.md (issue 13, stop 28).
// Needs a build (npm run build).
import { createRequire } from 'node:module';
import { realFiles } from './cases/prettier.mjs';
import { here, median, sideloop } from './measure.mjs';

const ROUNDS = Number(process.argv[2] ?? 14);
const WARM_UPS = 4;
const files = realFiles();
const taskModule = here('./workers/prettier-timed.mjs');
const { LoopManager, defineTasks } = await sideloop();
const tasks = defineTasks(taskModule);
const perFile = new LoopManager({ id: 'split-per-file' }).start();
const oneCall = new LoopManager({ id: 'split-one-call' }).start();
// @prettier/sync's own way to synchronize another prettier entry: the same make-synchronized worker.
const { createSynchronizedPrettier } = createRequire(import.meta.url)('@prettier/sync');
const synchronized = createSynchronizedPrettier({ prettierEntry: taskModule });
const blocking = { returnSyncFuture: true };

/** A call a file: ms a file, and per call the ms outside prettier.format. */
function callPerFile(call, takeInside) {
  const walls = [];
  for (const f of files) {
    const start = performance.now();
    try {
      call(f);
    } catch {}
    walls.push(performance.now() - start);
  }
  const inside = takeInside();
  const outside = walls.map((wall, i) => wall - inside[i]);
  return { wall: sum(walls) / files.length, inside: sum(inside) / files.length, outside };
}

const contenders = {
  'sideloop, a call a file': () =>
    callPerFile(
      (f) => perFile.submitTask(tasks.format(f.source, f.path), blocking).result(),
      () => perFile.submitTask(tasks.takeInside(), blocking).result(),
    ),
  'make-synchronized, a call a file': () =>
    callPerFile(
      (f) => synchronized.format(f.source, f.path),
      () => synchronized.takeInside(),
    ),
  'sideloop, one call a batch': () => {
    const start = performance.now();
    const inside = oneCall.submitTask(tasks.batch(files), blocking).result();
    return { wall: (performance.now() - start) / files.length, inside, outside: [] };
  },
};

const names = Object.keys(contenders);
const results = Object.fromEntries(names.map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Rotated, so that each contender follows each other one equally often.
  const order = names.map((_, i) => names[(i + round) % names.length]);
  for (const name of order) {
    const r = contenders[name]();
    if (round >= WARM_UPS) results[name].push(r);
  }
}

const base = median(results[names[2]].map((r) => r.wall));
console.log(`${files.length} files, ${ROUNDS - WARM_UPS} batches each (medians; ms a file)\n`);
console.log('| contender | wall | inside format | outside, a call (p50 / mean) | wall / one call a batch |');
console.log('|---|---:|---:|---:|---:|');
for (const name of names) {
  const rs = results[name];
  const outside = rs.flatMap((r) => r.outside);
  const around = outside.length ? `${median(outside).toFixed(3)} / ${(sum(outside) / outside.length).toFixed(3)}` : '-';
  const wall = median(rs.map((r) => r.wall));
  console.log(`| ${name} | ${wall.toFixed(2)} | ${median(rs.map((r) => r.inside)).toFixed(2)} | ${around} | ${(wall / base).toFixed(3)} |`);
}
await perFile.stop();
await oneCall.stop();
process.exit(0);

function sum(xs) {
  return xs.reduce((a, b) => a + b, 0);
}
