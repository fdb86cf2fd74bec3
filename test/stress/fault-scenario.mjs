// One case of the fault matrix, run in a child process by fault-matrix.test.mjs (a hang, or a
// frozen process, then fails only its case):  node fault-scenario.mjs <way> <mode> <waiters>
//
// Loop A dies in the way named while every kind of waiter waits on it: the owner (blocked in
// result() or awaiting, per <mode>), <waiters> awaited futures at once, a worker blocked in
// result() through a handle, a worker awaiting a TaskFuture and a SyncFuture through a handle,
// and a task of loop B blocked in result() on A. Every future must settle with
// LoopCrashedError; then stats(), the registry and a restart are checked. Prints one JSON line:
// { failures: [...], figures: {...} }.
import { Worker, threadId } from 'node:worker_threads';
import { LoopManager, defineTasks, getOrCreateLoopManager, inlineTask } from '../../dist/index.js';
import { distUrl, tasksUrl } from './common.mjs';

const [way, mode, waitersArg] = process.argv.slice(2);
const WAITERS = Number(waitersArg ?? 300);
const tasks = defineTasks(new URL(tasksUrl));
const LOOP_DEATHS = ['exit', 'throw', 'rejection', 'oom'];
const ownerDies = !LOOP_DEATHS.includes(way);
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};
const HANG_GUARD_MS = 20000;
const delay = (ms) => new Promise((r) => setTimeout(r, ms));

// words[0]: waiting tasks started; Float64 at byte 8: when the loop was made to die (epoch ms).
const started = new SharedArrayBuffer(16);
const startedWords = new Int32Array(started);
const diedAt = new Float64Array(started, 8, 1);

async function waitStarted(n) {
  const end = Date.now() + HANG_GUARD_MS;
  while (Atomics.load(startedWords, 0) < n) {
    if (Date.now() > end) throw new Error(`only ${Atomics.load(startedWords, 0)} of ${n} waiting tasks started`);
    await delay(5);
  }
}

/** Source of a worker that waits on loop `id` of thread `owner` through a handle, as `kind` says. */
const waiterSource = `
import { LoopManager, defineTasks } from ${JSON.stringify(distUrl)};
import { parentPort, workerData } from 'node:worker_threads';
const tasks = defineTasks(new URL(${JSON.stringify(tasksUrl)}));
const { id, owner, kind, started } = workerData;
const handle = LoopManager.allInstances().find((m) => m.id === id && m.ownerThreadId === owner);
const out = [];
const settle = (what) => (v) => out.push({ what, name: v instanceof Error ? v.name : 'value', at: Date.now() });
if (kind === 'block') {
  const future = handle.submitTask(tasks.sleep(60000, null, started), { returnSyncFuture: true });
  try { settle('handle SyncFuture blocked')(future.result(${HANG_GUARD_MS})); } catch (e) { settle('handle SyncFuture blocked')(e); }
} else {
  await Promise.all([
    handle.submitTask(tasks.sleep(60000, null, started)).then(settle('handle TaskFuture awaited'), settle('handle TaskFuture awaited')),
    handle.submitTask(tasks.sleep(60000, null, started), { returnSyncFuture: true }).then(settle('handle SyncFuture awaited'), settle('handle SyncFuture awaited')),
  ]);
}
parentPort.postMessage(out);
`;

function handleWaiter(kind, owner) {
  const worker = new Worker(waiterSource, { eval: true, workerData: { id: 'A', owner, kind, started } });
  return new Promise((resolve) => {
    worker.once('message', resolve);
    worker.once('error', (e) => resolve([{ what: `${kind} worker`, name: `worker error: ${e.message}`, at: Date.now() }]));
  });
}

/** A task for loop B: blocks in result() on A (found among all instances) and reports how that ended. */
const blockOnA = (owner) =>
  inlineTask(
    async (distUrl, tasksUrl, owner, started) => {
      const { LoopManager, defineTasks } = await import(distUrl);
      const t = defineTasks(new URL(tasksUrl));
      const a = LoopManager.allInstances().find((m) => m.id === 'A' && m.ownerThreadId === owner);
      try {
        a.submitTask(t.sleep(60000, null, started), { returnSyncFuture: true }).result(20000);
        return { name: 'value', at: Date.now() };
      } catch (e) {
        return { name: e.name, at: Date.now() };
      }
    },
    distUrl,
    tasksUrl,
    owner,
    started,
  );

/** A task that makes loop A die as `how` says once `n` waiting tasks have started. */
const killer = (how, n) =>
  inlineTask(
    (how, started, n) => {
      const words = new Int32Array(started);
      const die = () => {
        new Float64Array(started, 8, 1)[0] = Date.now();
        if (how === 'exit') process.exit(7);
        if (how === 'throw') setTimeout(() => { throw new Error('thrown outside any task'); }, 0);
        if (how === 'rejection') setTimeout(() => { Promise.reject(new Error('an unhandled rejection')); }, 0);
        if (how === 'oom') setTimeout(() => { const hoard = []; for (;;) hoard.push(new Array(100000).fill(Math.random())); }, 0);
      };
      const watch = () => {
        const seen = Atomics.load(words, 0);
        if (seen >= n) return die();
        Atomics.waitAsync(words, 0, seen).value.then(watch);
      };
      watch();
      return 'armed';
    },
    how,
    started,
    n,
  );

const settled = []; // { what, name, at }
const track = (what, promise) =>
  promise.then(
    (v) => settled.push({ what, name: 'value', at: Date.now(), v }),
    (e) => settled.push({ what, name: e.name, at: Date.now(), message: e.message }),
  );

/** The B task reports how its blocked wait on A ended. */
const trackChain = (promise) =>
  promise.then(
    (r) => settled.push({ what: 'B task blocked on A', ...r }),
    (e) => settled.push({ what: 'B task blocked on A (the B task itself)', name: e.name, at: Date.now() }),
  );

const figures = { way, mode, waiters: 0, maxSettleMs: 0 };
const B = getOrCreateLoopManager({ id: 'B' }).start();
await B.submitTask(tasks.echo('warm'));

if (!ownerDies) {
  // ---- the loop thread dies; its owner (this thread) lives ----
  const options = way === 'oom' ? { id: 'A', resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 } } : { id: 'A' };
  const A = new LoopManager(options).start();
  await A.submitTask(tasks.echo('warm'));
  let submitted = 1;
  const crowd = [];
  for (let i = 0; i < WAITERS; i++) crowd.push(track('owner TaskFuture (crowd)', A.submitTask(tasks.sleep(60000, null, started))));
  submitted += WAITERS;
  const workers = [handleWaiter('block', threadId), handleWaiter('await', threadId)];
  submitted += 3;
  const chain = trackChain(B.submitTask(blockOnA(threadId)));
  submitted += 1;
  let expected = WAITERS + 3 + 1;
  const ownerSync = A.submitTask(tasks.sleep(60000, null, started), { returnSyncFuture: true });
  submitted += 1;
  expected += 1;
  if (mode === 'await') {
    track('owner SyncFuture awaited', ownerSync);
    track('owner TaskFuture awaited', A.submitTask(tasks.sleep(60000, null, started)));
    submitted += 1;
    expected += 1;
  }
  await waitStarted(expected - (mode === 'block' ? 1 : 0));
  // The killer waits for one more start in block mode: the owner's blocked task, started after it blocks.
  const blockedTask = mode === 'block' ? A.submitTask(tasks.sleep(60000, null, started), { returnSyncFuture: true }) : undefined;
  if (blockedTask) submitted += 1;
  // The killer may die before it answers (everyone already waits): its own future fails too.
  await A.submitTask(killer(way, mode === 'block' ? expected + 1 : expected)).catch(() => {});
  submitted += 1;
  if (blockedTask) {
    try {
      blockedTask.result(HANG_GUARD_MS);
      settled.push({ what: 'owner SyncFuture blocked', name: 'value', at: Date.now() });
    } catch (e) {
      settled.push({ what: 'owner SyncFuture blocked', name: e.name, at: Date.now() });
    }
    try {
      ownerSync.result(HANG_GUARD_MS);
      settled.push({ what: 'owner SyncFuture (not waited on)', name: 'value', at: Date.now() });
    } catch (e) {
      settled.push({ what: 'owner SyncFuture (not waited on)', name: e.name, at: Date.now() });
    }
  }
  await Promise.all(crowd);
  await chain;
  for (const list of await Promise.all(workers)) settled.push(...list);
  // stats(): nothing pending or running, and every submission counted once.
  const s = A.stats();
  check(s.pending === 0 && s.running === 0, `stats() after the crash: pending ${s.pending}, running ${s.running}`);
  check(s.completed + s.failed + s.cancelled === submitted, `stats() counts ${s.completed + s.failed + s.cancelled} of ${submitted} submitted (${JSON.stringify(s)})`);
  check(A.state === 'crashed', `state after the crash: ${A.state}`);
  const entry = LoopManager.registry().get(threadId)?.get('A');
  check(entry?.state === 'crashed' && entry.loopThreadId === null, `registry entry after the crash: ${JSON.stringify(entry)}`);
  // The manager starts again.
  A.start();
  check(A.submitTask(tasks.echo('again'), { returnSyncFuture: true }).result(HANG_GUARD_MS) === 'again', 'restarted loop answers');
  await A.stop();
} else {
  // ---- the owner thread (a worker) dies, or its parent does ----
  const ownerSource = `
    import { LoopManager } from ${JSON.stringify(distUrl)};
    import { parentPort, threadId } from 'node:worker_threads';
    const A = new LoopManager({ id: 'A' }).start();
    await A.submitTask((await import(${JSON.stringify(distUrl)})).inlineTask(() => 'warm'));
    parentPort.on('message', (how) => {
      if (how === 'exit') parentPort.close(); // nothing left to do: the thread ends normally
      else if (how === 'process.exit') process.exit(0);
    });
    parentPort.postMessage({ owner: threadId });
  `;
  const parentSource = `
    import { Worker, parentPort } from 'node:worker_threads';
    const owner = new Worker(${JSON.stringify(ownerSource)}, { eval: true });
    owner.on('message', (m) => parentPort.postMessage(m));
    parentPort.on('message', () => process.exit(0)); // takes its child, the owner, down with it
  `;
  const top = new Worker(way === 'parent-exits' ? parentSource : ownerSource, { eval: true });
  top.on('error', () => {});
  const { owner } = await new Promise((resolve) => top.once('message', resolve));
  const A = LoopManager.allInstances().find((m) => m.id === 'A' && m.ownerThreadId === owner);
  check(A !== undefined, 'found the owner thread\'s loop among all instances');
  const crowd = [];
  for (let i = 0; i < WAITERS; i++) crowd.push(track('handle TaskFuture (crowd)', A.submitTask(tasks.sleep(60000, null, started))));
  track('handle SyncFuture awaited', A.submitTask(tasks.sleep(60000, null, started), { returnSyncFuture: true }));
  const workers = [handleWaiter('block', owner), handleWaiter('await', owner)];
  const chain = trackChain(B.submitTask(blockOnA(owner)));
  await waitStarted(WAITERS + 1 + 3 + 1);
  const exited = new Promise((r) => top.once('exit', r));
  diedAt[0] = Date.now();
  if (way === 'owner-terminated') void top.terminate();
  else top.postMessage(way === 'owner-exit' ? 'exit' : 'process.exit');
  await exited;
  await Promise.all(crowd);
  await chain;
  for (const list of await Promise.all(workers)) settled.push(...list);
  // The registry forgets the dead thread's managers.
  let gone = false;
  for (const end = Date.now() + 5000; Date.now() < end && !gone; await delay(10)) gone = !LoopManager.registry().has(owner);
  check(gone, `the registry still lists thread ${owner}'s managers: ${JSON.stringify([...(LoopManager.registry().get(owner)?.values() ?? [])])}`);
  check(!A.isRunning, `a handle on the dead loop reads ${A.state}`);
  if (A.isRunning) {
    const late = await A.submitTask(tasks.echo(1), { timeoutMs: 2000 }).then(() => 'value', (e) => e.name);
    check(late !== 'TimeoutError', 'a submit to the dead loop through an old handle waits');
  }
  // The id can be used again: this thread now creates its own.
  const again = getOrCreateLoopManager({ id: 'A' });
  check(again.ownerThreadId === threadId, `getOrCreateLoopManager after the owner died resolved thread ${again.ownerThreadId}'s manager`);
  if (again.ownerThreadId === threadId) {
    again.start();
    check(again.submitTask(tasks.echo('again'), { returnSyncFuture: true }).result(HANG_GUARD_MS) === 'again', 'a new loop with the id answers');
    await again[Symbol.asyncDispose]();
  }
}

// Every waiter settled with LoopCrashedError, soon after the death.
const died = diedAt[0];
check(died > 0, 'the loop was made to die');
for (const s of settled) {
  figures.waiters++;
  if (s.name !== 'LoopCrashedError') failures.push(`${s.what}: ${s.name}${s.message ? ` (${s.message.replace(/\d+/g, 'N')})` : ''}${s.v !== undefined ? ` ${JSON.stringify(s.v)}` : ''}`);
  else if (died > 0) figures.maxSettleMs = Math.max(figures.maxSettleMs, s.at - died);
}
check(figures.waiters > WAITERS, `only ${figures.waiters} waiters reported`);
await B.stop();
// Deduplicate repeated failures (the crowd) so the report stays short.
const counted = new Map();
for (const f of failures) counted.set(f, (counted.get(f) ?? 0) + 1);
const report = { failures: [...counted].map(([f, n]) => (n > 1 ? `${f} (x${n})` : f)), figures };
console.log(JSON.stringify(report));
process.exit(0);
