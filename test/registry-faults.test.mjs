// The registry under faults: memory that exists from the first import, no lock a dying
// thread can hold, replacement without a gap, stale handles, slot reuse (issue 12).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { distUrl, runScript } from './helpers.mjs';

test('a worker spawned after the import but before any manager exists shares the registry and lineage', { timeout: 30000 }, async () => {
  const { code, stdout, stderr } = await runScript(`
    import { LoopManager, getOrCreateLoopManager } from ${JSON.stringify(distUrl)};
    import { Worker } from 'node:worker_threads';
    const gate = new Int32Array(new SharedArrayBuffer(4));
    // Spawned first, as a pool made at start-up would be: no manager exists in the process yet.
    const worker = new Worker(new URL('data:text/javascript,' + encodeURIComponent(\`
      import { workerData, parentPort } from 'node:worker_threads';
      const { getOrCreateLoopManager } = await import(workerData.dist);
      const gate = new Int32Array(workerData.gate);
      Atomics.wait(gate, 0, 0, 10000);
      const found = getOrCreateLoopManager({ id: 'early', strictlyGet: true });
      parentPort.postMessage(found.ownerThreadId);
    \`)), { workerData: { gate: gate.buffer, dist: ${JSON.stringify(distUrl)} } });
    worker.on('error', (e) => { console.log('worker error', e.name, e.message); process.exitCode = 1; });
    const mgr = getOrCreateLoopManager({ id: 'early' });
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    worker.on('message', (owner) => console.log('owner', owner));
  `);
  assert.equal(code, 0, stderr + stdout);
  assert.match(stdout, /^owner 0$/m);
});

test('a thread terminated while it creates and disposes managers freezes nothing: others create, dispose and exit', { timeout: 120000 }, async () => {
  const { code, stdout, stderr } = await runScript(`
    import { LoopManager } from ${JSON.stringify(distUrl)};
    import { Worker } from 'node:worker_threads';
    for (let round = 0; round < 12; round++) {
      const counter = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(new URL('data:text/javascript,' + encodeURIComponent(\`
        import { workerData } from 'node:worker_threads';
        const { LoopManager } = await import(workerData.dist);
        const counter = new Int32Array(workerData.counter);
        for (let i = 0; ; i++) {
          const m = new LoopManager({ id: 'churn' + (i % 7) });
          await m[Symbol.asyncDispose]();
          Atomics.add(counter, 0, 1);
          Atomics.notify(counter, 0);
        }
      \`)), { workerData: { counter: counter.buffer, dist: ${JSON.stringify(distUrl)} } });
      // Terminated mid-churn: after a varying number of creations, at a moment nobody chose.
      while (Atomics.load(counter, 0) < 50 + round * 37) await new Promise((r) => setTimeout(r, 1));
      await worker.terminate();
      for (let i = 0; i < 20; i++) {
        const m = new LoopManager({ id: 'after' + i });
        await m[Symbol.asyncDispose]();
      }
    }
    // This thread owns a manager when it exits: its exit handler must not spin.
    new LoopManager({ id: 'kept' });
    console.log('done');
  `, { timeoutMs: 100000 });
  assert.equal(code, 0, `exit ${code}, signal ${stdout} ${stderr}`);
  assert.match(stdout, /done/);
});

test('forceCreate replaces an entry without a gap: concurrent readers always find one', { timeout: 60000 }, async () => {
  const { code, stdout, stderr } = await runScript(`
    import { getOrCreateLoopManager } from ${JSON.stringify(distUrl)};
    import { Worker } from 'node:worker_threads';
    const control = new Int32Array(new SharedArrayBuffer(16)); // 0: stop; 1: misses; 2: lookups; 3: readers ready
    let current = getOrCreateLoopManager({ id: 'swap' });
    const readers = [0, 1].map(() => new Worker(new URL('data:text/javascript,' + encodeURIComponent(\`
      import { workerData } from 'node:worker_threads';
      const { getOrCreateLoopManager } = await import(workerData.dist);
      const control = new Int32Array(workerData.control);
      Atomics.add(control, 3, 1);
      while (Atomics.load(control, 0) === 0) {
        try {
          getOrCreateLoopManager({ id: 'swap', strictlyGet: true });
        } catch {
          Atomics.add(control, 1, 1);
        }
        Atomics.add(control, 2, 1);
      }
    \`)), { workerData: { control: control.buffer, dist: ${JSON.stringify(distUrl)} } }));
    while (Atomics.load(control, 3) < 2) await new Promise((r) => setTimeout(r, 1));
    for (let i = 0; i < 20000; i++) {
      const old = current;
      current = getOrCreateLoopManager({ id: 'swap', forceCreate: true });
      await old[Symbol.asyncDispose]();
    }
    Atomics.store(control, 0, 1);
    await Promise.all(readers.map((w) => new Promise((r) => w.once('exit', r))));
    console.log('misses', Atomics.load(control, 1), 'lookups', Atomics.load(control, 2));
  `, { timeoutMs: 55000 });
  assert.equal(code, 0, stderr);
  const [, misses, lookups] = stdout.match(/misses (\d+) lookups (\d+)/).map(Number);
  assert.ok(lookups > 1000, `the readers looked ${lookups} times`);
  assert.equal(misses, 0, `${misses} of ${lookups} lookups found no manager while it was being replaced`);
});

// A child process whose worker owns 'payments' (or 'doomed'), then reuses its slot: every slot
// but the freed one is taken by idle fillers, so the next manager lands in the freed slot.
const slotReuseScript = (body) => `
  import { LoopManager, LoopCrashedError, LoopNotRunningError, defineTasks } from ${JSON.stringify(distUrl)};
  import { Worker, threadId } from 'node:worker_threads';
  const tasks = defineTasks(${JSON.stringify(new URL('./fixtures/tasks.mjs', import.meta.url).href)});
  const step = new Int32Array(new SharedArrayBuffer(8)); // 0: the worker's step; 1: main's step
  const worker = new Worker(new URL('data:text/javascript,' + encodeURIComponent(\`
    import { workerData } from 'node:worker_threads';
    const { LoopManager, defineTasks } = await import(workerData.dist);
    const tasks = defineTasks(workerData.tasks);
    const step = new Int32Array(workerData.step);
    const say = (n) => { Atomics.store(step, 0, n); Atomics.notify(step, 0); };
    const waitMain = (n) => { while (Atomics.load(step, 1) < n) Atomics.wait(step, 1, Atomics.load(step, 1), 50); };
    const first = new LoopManager({ id: 'payments' }).start();
    await first.submitTask(tasks.echo('warm'));
    say(1);
    waitMain(1);
    try { await first.submitTask(tasks.exitNow(7)); } catch {}
    await first[Symbol.asyncDispose]();
    const fillers = [];
    for (;;) {
      try { fillers.push(new LoopManager({ id: 'filler' + fillers.length })); } catch { break; }
    }
    // Free the first filler's slot and the last one's: whichever way slots are allocated (lowest
    // first, or round-robin), one of them is the slot 'payments' had, and the two new managers take both.
    await fillers.shift()[Symbol.asyncDispose]();
    await fillers.pop()[Symbol.asyncDispose]();
    const analytics = new LoopManager({ id: 'analytics' }).start();
    const spare = new LoopManager({ id: 'spare' }).start();
    await analytics.submitTask(tasks.echo('warm'));
    await spare.submitTask(tasks.echo('warm'));
    say(2);
    waitMain(2);
    await analytics.stop();
    await spare.stop();
    for (const f of fillers) await f[Symbol.asyncDispose]();
  \`)), { workerData: { step: step.buffer, dist: ${JSON.stringify(distUrl)}, tasks: ${JSON.stringify(new URL('./fixtures/tasks.mjs', import.meta.url).href)} } });
  const waitWorker = async (n) => { while (Atomics.load(step, 0) < n) await new Promise((r) => setTimeout(r, 5)); };
  const tell = (n) => { Atomics.store(step, 1, n); Atomics.notify(step, 1); };
  await waitWorker(1);
  const handle = LoopManager.allInstances().find((m) => m.id === 'payments');
  ${body}
  tell(2);
  await new Promise((r) => worker.once('exit', r));
`;

test('a handle on a disposed manager never drives the manager that took its slot', { timeout: 60000 }, async () => {
  const { code, stdout, stderr } = await runScript(
    slotReuseScript(`
      tell(1);
      await waitWorker(2);
      console.log('state', handle.state, handle.isRunning);
      try {
        const ran = await handle.submitTask(tasks.whereAmI());
        console.log('ran on', ran);
      } catch (e) {
        console.log('submit', e.name);
      }
    `),
    { timeoutMs: 50000 },
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^state stopped false$/m);
  assert.match(stdout, /^submit LoopNotRunningError$/m);
});

test('a future on a loop that crashed stays LoopCrashedError when its slot is reused before the waiter looks', { timeout: 60000 }, async () => {
  const { code, stdout, stderr } = await runScript(
    slotReuseScript(`
      const pending = handle.submitTask(tasks.sleep(60000)).catch((e) => e);
      tell(1);
      // Busy in JavaScript, not in a sideloop wait, while the loop crashes and its slot is reused.
      while (Atomics.load(step, 0) < 2) Atomics.wait(step, 0, Atomics.load(step, 0), 20);
      const err = await pending;
      console.log('error', err.name, err.exitCode);
      console.log('stats', JSON.stringify(handle.stats()));
    `),
    { timeoutMs: 50000 },
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^error LoopCrashedError 7$/m);
});

test('stats() of a crashed loop counts nothing as running or pending: what was lost counts as failed', { timeout: 30000 }, async () => {
  const { LoopManager } = await import(distUrl);
  const { tasks, startSignal } = await import('./helpers.mjs');
  const mgr = new LoopManager({ name: 'lost-work' }).start();
  const started = startSignal();
  const sleepers = [1, 2, 3].map(() => mgr.submitTask(tasks.sleep(60000, null, started.buffer)).catch((e) => e));
  assert.ok(await started.reached(3));
  await mgr.submitTask(tasks.exitNow(4)).catch((e) => e);
  await Promise.all(sleepers);
  const stats = mgr.stats();
  assert.equal(mgr.state, 'crashed');
  assert.equal(stats.running, 0);
  assert.equal(stats.pending, 0);
  assert.equal(stats.completed + stats.failed + stats.cancelled, 4, JSON.stringify(stats));
});
