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
    const worker = new Worker(\`
      import { workerData, parentPort } from 'node:worker_threads';
      const { getOrCreateLoopManager } = await import(workerData.dist);
      const gate = new Int32Array(workerData.gate);
      Atomics.wait(gate, 0, 0, 10000);
      const found = getOrCreateLoopManager({ id: 'early', strictlyGet: true });
      parentPort.postMessage(found.ownerThreadId);
    \`, { eval: true, workerData: { gate: gate.buffer, dist: ${JSON.stringify(distUrl)} } });
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
      const worker = new Worker(\`
        import { workerData } from 'node:worker_threads';
        const { LoopManager } = await import(workerData.dist);
        const counter = new Int32Array(workerData.counter);
        for (let i = 0; ; i++) {
          const m = new LoopManager({ id: 'churn' + (i % 7) });
          await m[Symbol.asyncDispose]();
          Atomics.add(counter, 0, 1);
          Atomics.notify(counter, 0);
        }
      \`, { eval: true, workerData: { counter: counter.buffer, dist: ${JSON.stringify(distUrl)} } });
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
    const readers = [0, 1].map(() => new Worker(\`
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
    \`, { eval: true, workerData: { control: control.buffer, dist: ${JSON.stringify(distUrl)} } }));
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
