// Chaos, run in a child process by chaos.test.mjs:  node chaos-run.mjs <seed> <waves> <ends>
// Waves of thread trees (up to 3 levels) spawn and end (<ends>: a comma list of exit,
// process.exit, throw, terminate) while their threads resolve, create, replace (forceCreate)
// and use their ancestors' managers, and this thread uses whatever loop it finds through
// LoopManager.allInstances(). No registry entry is lost or duplicated, no handle on a dead
// loop waits, and once every tree has ended no slot is left. Prints one JSON line.
import { BroadcastChannel, Worker } from 'node:worker_threads';
import { LoopManager, defineTasks, getOrCreateLoopManager } from '../../dist/index.js';
import { distUrl, random, tasksUrl } from './common.mjs';

const seed = Number(process.argv[2] ?? 1) >>> 0;
const waves = Number(process.argv[3] ?? 5);
const ends = (process.argv[4] ?? 'exit,process.exit,throw').split(',');
const rng = random(seed);
const tasks = defineTasks(new URL(tasksUrl));
const failures = [];
const figures = { seed, threads: 0, managersMade: 0, callsThroughHandles: 0, deadHandlesRefused: 0, ancestorCalls: 0 };
const OK_AFTER_DEATH = ['LoopNotRunningError', 'LoopCrashedError', 'CancelledError'];

const root = getOrCreateLoopManager({ id: 'root' }).start();
await root.submitTask(tasks.echo('warm'));

const treeSource = `
import { getOrCreateLoopManager, defineTasks, LoopManager } from ${JSON.stringify(distUrl)};
import { Worker, BroadcastChannel, workerData, threadId } from 'node:worker_threads';
const { seed, depth, ends, workerSource } = workerData;
let a = seed >>> 0;
const rand = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const pick = (l) => l[Math.floor(rand() * l.length)];
const tasks = defineTasks(new URL(${JSON.stringify(tasksUrl)}));
const report = new BroadcastChannel('chaos-report');
const fail = (what) => report.postMessage({ fail: 'thread ' + threadId + ' (depth ' + depth + '): ' + what });
const count = (key) => report.postMessage({ count: key });
const myEnd = pick(ends);
for (let step = 0, steps = 1 + Math.floor(rand() * 4); step < steps; step++) {
  const r = rand();
  try {
    if (r < 0.3) {
      const m = getOrCreateLoopManager({ id: pick(['a', 'b', 'c']) });
      if (m.ownerThreadId === threadId) { count('managersMade'); if (!m.isRunning && rand() < 0.4) m.start(); }
    } else if (r < 0.45) {
      const m = getOrCreateLoopManager({ id: pick(['a', 'b', 'c']), forceCreate: true });
      count('managersMade');
      if (m.ownerThreadId !== threadId) fail('forceCreate gave another thread\\'s manager');
      if (rand() < 0.4) m.start();
    } else if (r < 0.8) {
      // The root loop is the main thread's: an ancestor of every thread here, always running.
      const m = getOrCreateLoopManager({ id: 'root', strictlyGet: true });
      if (m.ownerThreadId !== 0) fail('root resolved to thread ' + m.ownerThreadId);
      const v = rand() < 0.5 ? m.submitTask(tasks.echo(step), { returnSyncFuture: true }).result(10000) : await m.submitTask(tasks.echo(step));
      if (v !== step) fail('root answered ' + v);
      count('ancestorCalls');
    } else {
      // An ancestor's own loop, if one has a running one with that id.
      const id = pick(['a', 'b', 'c']);
      let m;
      try { m = getOrCreateLoopManager({ id, strictlyGet: true }); } catch (e) { if (e.name !== 'ManagerNotFound') throw e; }
      if (m?.isRunning) {
        try { m.submitTask(tasks.echo(1), { returnSyncFuture: true }).result(5000); count('ancestorCalls'); }
        catch (e) { if (e.name === 'TimeoutError') fail('a call to loop ' + id + ' of thread ' + m.ownerThreadId + ' waited 5 s'); else if (!['LoopNotRunningError', 'LoopCrashedError', 'CancelledError'].includes(e.name)) throw e; }
      }
    }
  } catch (e) {
    fail('step threw ' + e.name + ': ' + e.message);
  }
}
const children = [];
if (depth < 3) {
  for (let i = 0, n = Math.floor(rand() * 3); i < n; i++) {
    const child = new Worker(workerSource, { eval: true, workerData: { seed: Math.floor(rand() * 2 ** 32), depth: depth + 1, ends, workerSource } });
    count('threads');
    child.on('error', () => {});
    children.push(new Promise((r) => child.once('exit', r)));
    if (ends.includes('terminate') && rand() < 0.3) setTimeout(() => void child.terminate(), Math.floor(rand() * 30));
  }
}
// A thread that ends normally waits for its children: its exit would terminate them.
if (myEnd !== 'terminate') await Promise.all(children);
report.close();
if (myEnd === 'process.exit') process.exit(0);
if (myEnd === 'throw') throw new Error('chaos: ended by an uncaught error');
if (myEnd === 'terminate') await Promise.all(children);
`;

const counts = new BroadcastChannel('chaos-report');
counts.onmessage = ({ data }) => {
  if (data.fail) failures.push(data.fail);
  if (data.count) figures[data.count]++;
};

/** This thread keeps using whatever loops it finds, to catch a handle on a dead loop that waits. */
let stopUsing = false;
async function useEveryone() {
  while (!stopUsing) {
    const running = LoopManager.allInstances().filter((m) => m.ownerThreadId !== 0);
    const m = running[rng.int(running.length)];
    if (m) {
      try {
        m.submitTask(tasks.echo(1), { returnSyncFuture: true }).result(5000);
        figures.callsThroughHandles++;
      } catch (e) {
        if (e.name === 'TimeoutError') failures.push(`a call through a handle on loop ${String(m.id)} of thread ${m.ownerThreadId} (${m.state}) waited 5 s`);
        else if (OK_AFTER_DEATH.includes(e.name)) figures.deadHandlesRefused++;
        else failures.push(`a call through a handle threw ${e.name}: ${e.message}`);
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

const user = useEveryone();
for (let wave = 0; wave < waves && failures.length < 20; wave++) {
  const trees = [];
  for (let i = 0; i < 4; i++) {
    const w = new Worker(treeSource, { eval: true, workerData: { seed: rng.int(2 ** 32), depth: 1, ends, workerSource: treeSource } });
    figures.threads++;
    w.on('error', () => {});
    trees.push(new Promise((r) => w.once('exit', r)));
    if (ends.includes('terminate') && rng.chance(0.3)) setTimeout(() => void w.terminate(), rng.int(50));
  }
  const t0 = Date.now();
  await Promise.all(trees);
  if (process.env.CHAOS_DEBUG) console.error(`wave ${wave}: ${Date.now() - t0} ms`);
}
stopUsing = true;
await user;
await new Promise((r) => setTimeout(r, 50)); // the last reports
counts.close();

// Every tree has ended: only this thread's managers are left, each listed once.
let left = [];
for (const end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
  left = LoopManager.allInstances().filter((m) => m.ownerThreadId !== 0);
  if (left.length === 0) break;
}
if (left.length > 0) failures.push(`${left.length} managers of ended threads are still listed (slots leaked): ${left.slice(0, 5).map((m) => `${String(m.id)}@${m.ownerThreadId}:${m.state}`).join(', ')}`);
const registry = LoopManager.registry();
if ([...registry.keys()].some((t) => t !== 0)) failures.push(`the registry still lists threads ${[...registry.keys()].filter((t) => t !== 0).join(', ')}`);
if (registry.get(0)?.get('root') === undefined) failures.push('the registry lost the root entry');
if (getOrCreateLoopManager({ id: 'root' }) !== root) failures.push('root resolves to another manager');
if (root.submitTask(tasks.echo('end'), { returnSyncFuture: true }).result(5000) !== 'end') failures.push('root stopped answering');
await root.stop();
const counted = new Map();
for (const f of failures) counted.set(f, (counted.get(f) ?? 0) + 1);
console.log(JSON.stringify({ failures: [...counted].map(([f, n]) => (n > 1 ? `${f} (x${n})` : f)).slice(0, 20), figures }));
process.exit(0);
