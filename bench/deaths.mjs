// `node bench/deaths.mjs [rounds] [quiet|busy|both]`: how long a thread holding a handle takes
// to learn that a loop's owner died without running JavaScript, per way of dying, per waiter
// (in the main thread, which spawned the owner's tree, or in an unrelated worker that found the
// loop through LoopManager.allInstances()) and per way of waiting (awaiting, or blocked in
// result()). The waiter has waited a second before the death, so a blocked one parks in its
// longest slice. Prints the median and the worst of `rounds` (default 5), each round in a fresh
// child process. `busy` runs the rounds beside two `node -e 'for(;;){}'` processes (killed by
// PID afterwards): both cores taken, as on a loaded machine. No test asserts these times; they
// go in docs/reliability.md.
import { spawn, spawnSync } from 'node:child_process';

const rounds = Number(process.argv[2] ?? 5);
const modes = { quiet: ['quiet'], busy: ['busy'], both: ['quiet', 'busy'] }[process.argv[3] ?? 'both'];
if (!modes) throw new Error('usage: node bench/deaths.mjs [rounds] [quiet|busy|both]');
const dist = new URL('../dist/index.js', import.meta.url).href;
const tasksUrl = new URL('./tasks.mjs', import.meta.url).href;
/** How long the waiter waits before the owner dies. */
const WAITED_MS = 1000;

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

// A thread without sideloop between the main thread and the owner: it kills the owner (or takes
// it down by exiting) WAITED_MS after the waiter is waiting, and notes when.
const killer = `
  import { Worker, workerData } from 'node:worker_threads';
  const owner = new Worker(workerData.owner, { eval: true, workerData });
  const step = new Int32Array(workerData.step);
  const times = new Float64Array(workerData.times);
  while (Atomics.load(step, 1) === 0) await new Promise((r) => setTimeout(r, 1));
  await new Promise((r) => setTimeout(r, ${WAITED_MS}));
  times[0] = performance.timeOrigin + performance.now();
  if (workerData.how === 'parent-exits') process.exit(0);
  await owner.terminate();
`;

// The unrelated waiter: a worker of the main thread that finds the loop in the registry.
const waiter = `
  import { parentPort, workerData } from 'node:worker_threads';
  const { LoopManager, defineTasks } = await import(workerData.dist);
  const tasks = defineTasks(workerData.tasks);
  const victim = LoopManager.allInstances().find((m) => m.id === 'victim');
  const future = victim.submitTask(tasks.sleep(60000), { returnSyncFuture: workerData.blocked });
  await new Promise((r) => setTimeout(r, 50)); // the task is running
  const step = new Int32Array(workerData.step);
  Atomics.store(step, 2, 1);
  let name;
  if (workerData.blocked) { try { future.result(30000); } catch (e) { name = e.name; } }
  else name = await future.then(() => 'ok', (e) => e.name);
  parentPort.postMessage({ at: performance.timeOrigin + performance.now(), name });
`;

// One child per round: spawns the owner (directly, or under a killer that never loaded
// sideloop), makes the waiter wait on its loop through a handle, kills the owner, prints the ms
// from the death to the waiter's future settling.
const child = (how, where, blocked) => `
  import { LoopManager, defineTasks } from ${JSON.stringify(dist)};
  import { Worker } from 'node:worker_threads';
  const tasks = defineTasks(${JSON.stringify(tasksUrl)});
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const step = new Int32Array(new SharedArrayBuffer(16));
  const times = new Float64Array(new SharedArrayBuffer(8));
  const how = ${JSON.stringify(how)};
  const blocked = ${JSON.stringify(blocked)};
  const data = { step: step.buffer, times: times.buffer, how, blocked, dist: ${JSON.stringify(dist)}, tasks: ${JSON.stringify(tasksUrl)}, owner: ${JSON.stringify(owner)} };
  const ownerWorker = how === 'terminate' ? new Worker(data.owner, { eval: true, workerData: data }) : undefined;
  if (!ownerWorker) new Worker(${JSON.stringify(killer)}, { eval: true, workerData: data });
  while (Atomics.load(step, 0) === 0) await sleep(2);
  let done;
  if (${JSON.stringify(where)} === 'worker') {
    const w = new Worker(${JSON.stringify(waiter)}, { eval: true, workerData: data });
    done = new Promise((r) => w.once('message', r));
    while (Atomics.load(step, 2) === 0) await sleep(2);
  } else {
    const future = LoopManager.allInstances().find((m) => m.id === 'victim').submitTask(tasks.sleep(60000), { returnSyncFuture: blocked });
    await sleep(50); // the task is running
    const settle = async () => {
      let name;
      if (blocked) { try { future.result(30000); } catch (e) { name = e.name; } }
      else name = await future.then(() => 'ok', (e) => e.name);
      return { at: performance.timeOrigin + performance.now(), name };
    };
    if (!ownerWorker) { Atomics.store(step, 1, 1); done = settle(); }
    else done = sleep(${WAITED_MS}).then(() => { times[0] = performance.timeOrigin + performance.now(); void ownerWorker.terminate(); return settle(); });
  }
  if (ownerWorker && ${JSON.stringify(where)} === 'worker') {
    await sleep(${WAITED_MS});
    times[0] = performance.timeOrigin + performance.now();
    void ownerWorker.terminate();
  } else Atomics.store(step, 1, 1);
  const { at, name } = await done;
  console.log(JSON.stringify({ ms: at - times[0], name }));
  process.exit(0);
`;

const cases = [
  ['terminate()d by the main thread', 'terminate', 'main', false],
  ['terminate()d by the main thread', 'terminate', 'worker', false],
  ['terminate()d by the main thread', 'terminate', 'worker', true],
  ['terminate()d by a thread without sideloop', 'terminate-by-other', 'main', false],
  ['terminate()d by a thread without sideloop', 'terminate-by-other', 'main', true],
  ['terminate()d by a thread without sideloop', 'terminate-by-other', 'worker', false],
  ['terminate()d by a thread without sideloop', 'terminate-by-other', 'worker', true],
  ["its parent (without sideloop) exits", 'parent-exits', 'main', false],
  ["its parent (without sideloop) exits", 'parent-exits', 'main', true],
  ["its parent (without sideloop) exits", 'parent-exits', 'worker', false],
  ["its parent (without sideloop) exits", 'parent-exits', 'worker', true],
];

function runCase(how, where, blocked) {
  const times = [];
  const names = new Set();
  for (let i = 0; i < rounds; i++) {
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', child(how, where, blocked)], { encoding: 'utf8', timeout: 60000 });
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
  return { median: times[times.length >> 1], worst: times.at(-1), names: [...names] };
}

for (const mode of modes) {
  // Two processes that keep both cores busy; killed by their PIDs, whatever happens here.
  const hogs = mode === 'busy' ? [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' })) : [];
  try {
    console.log(`${mode}${mode === 'busy' ? ' (beside two busy-loop processes)' : ''}, ${rounds} rounds, the waiter waited ${WAITED_MS} ms before the death:`);
    for (const [label, how, where, blocked] of cases) {
      const { median, worst, names } = runCase(how, where, blocked);
      const who = `${where === 'main' ? 'main thread' : 'other worker'}, ${blocked ? 'blocked' : 'awaiting'}`;
      console.log(`  owner ${label.padEnd(42)} ${who.padEnd(24)} median ${median?.toFixed(0).padStart(5)} ms, worst ${worst?.toFixed(0).padStart(5)} ms: ${names.join(', ')}`);
    }
  } finally {
    for (const hog of hogs) process.kill(hog.pid, 'SIGKILL');
  }
}
