// `node bench/deaths.mjs [rounds]`: how long a thread holding a handle takes to learn that a
// loop's owner died without running JavaScript, per way of dying and kind of waiter; prints
// the median and the worst of `rounds` (default 5), each round in a fresh child process.
// No test asserts these times; they go in docs/reliability-registry.md.
import { spawnSync } from 'node:child_process';

const rounds = Number(process.argv[2] ?? 5);
const dist = new URL('../dist/index.js', import.meta.url).href;
const tasksUrl = new URL('./tasks.mjs', import.meta.url).href;

const owner = `
  import { workerData } from 'node:worker_threads';
  const { LoopManager, defineTasks } = await import(workerData.dist);
  const tasks = defineTasks(workerData.tasks);
  const victim = new LoopManager({ id: 'victim' }).start();
  await victim.submitTask(tasks.inc(1));
  const step = new Int32Array(workerData.step);
  Atomics.store(step, 0, 1);
  Atomics.notify(step, 0);
  setInterval(() => {}, 1000);
`;

// One child per round: spawns the owner (directly, or under a parent that never loaded
// sideloop), waits on its loop through a handle, kills the owner, prints the ms until settled.
const child = (how, waiter) => `
  import { LoopManager, defineTasks } from ${JSON.stringify(dist)};
  import { Worker } from 'node:worker_threads';
  const tasks = defineTasks(${JSON.stringify(tasksUrl)});
  const step = new Int32Array(new SharedArrayBuffer(8));
  const data = { step: step.buffer, dist: ${JSON.stringify(dist)}, tasks: ${JSON.stringify(tasksUrl)}, owner: ${JSON.stringify(owner)} };
  let ownerWorker;
  if (${JSON.stringify(how)} === 'terminate') ownerWorker = new Worker(data.owner, { eval: true, workerData: data });
  else new Worker(\`
    import { Worker, workerData } from 'node:worker_threads';
    const owner = new Worker(workerData.owner, { eval: true, workerData });
    const step = new Int32Array(workerData.step);
    while (Atomics.load(step, 1) === 0) await new Promise((r) => setTimeout(r, 1));
    \${${JSON.stringify(how)} === 'parent-exits' ? 'process.exit(0)' : 'await owner.terminate()'};
  \`, { eval: true, workerData: data });
  while (Atomics.load(step, 0) === 0) await new Promise((r) => setTimeout(r, 2));
  const victim = LoopManager.allInstances().find((m) => m.id === 'victim');
  const blocked = ${JSON.stringify(waiter)} === 'blocked';
  const future = victim.submitTask(tasks.sleep(60000), { returnSyncFuture: blocked });
  await new Promise((r) => setTimeout(r, 50)); // the task is running
  const t0 = performance.now();
  if (ownerWorker) void ownerWorker.terminate();
  Atomics.store(step, 1, 1);
  let name;
  if (blocked) { try { future.result(30000); } catch (e) { name = e.name; } }
  else name = await future.then(() => 'ok', (e) => e.name);
  console.log(JSON.stringify({ ms: performance.now() - t0, name }));
  process.exit(0);
`;

const cases = [
  ['owner terminate()d by the waiting thread', 'terminate', 'awaited'],
  ['owner terminate()d by a thread without sideloop', 'terminate-by-other', 'awaited'],
  ['same, the waiter blocked in result()', 'terminate-by-other', 'blocked'],
  ["owner's parent (without sideloop) exits", 'parent-exits', 'awaited'],
  ["same, the waiter blocked in result()", 'parent-exits', 'blocked'],
];
for (const [label, how, waiter] of cases) {
  const times = [];
  const names = new Set();
  for (let i = 0; i < rounds; i++) {
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', child(how, waiter)], { encoding: 'utf8', timeout: 60000 });
    const line = out.stdout.trim().split('\n').pop();
    try {
      const { ms, name } = JSON.parse(line);
      times.push(ms);
      names.add(name);
    } catch {
      names.add(`no answer (${out.status ?? out.signal}): ${out.stderr.slice(0, 200)}`);
    }
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  console.log(`${label.padEnd(58)} median ${median?.toFixed(0)} ms, worst ${times.at(-1)?.toFixed(0)} ms: ${[...names].join(', ')}`);
}
