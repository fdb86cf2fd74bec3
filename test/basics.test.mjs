import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threadId } from 'node:worker_threads';
import {
  LoopManager,
  SyncFuture,
  TaskFuture,
  defineTasks,
  inlineTask,
  task,
  DEFAULT_LOOP_ID,
  UnsupportedRuntimeError,
} from '../dist/index.js';
import { fixture, fixturePath, raiseFlag, runtime, tasks, waitForCount, withLoop } from './helpers.mjs';

test('a SyncFuture blocks until an async task is done and returns its value', { timeout: 20000 }, async () => {
  await withLoop({ name: 'sync' }, (mgr) => {
    const future = mgr.submitTask(tasks.add(2, 3), { returnSyncFuture: true });
    assert.ok(future instanceof SyncFuture);
    assert.equal(future.result(), 5);
    assert.equal(future.done(), true);
    assert.equal(future.exception(), null);
    assert.equal(future.result(), 5, 'result() can be asked again');
  });
});

test('a TaskFuture is a real Promise that resolves with the result', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    const future = mgr.submitTask(tasks.add(40, 2));
    assert.ok(future instanceof TaskFuture);
    assert.ok(future instanceof Promise);
    assert.equal(Promise.resolve(future), future, 'a built-in Promise: await and Promise.all use it as is');
    assert.equal(await future, 42);
    assert.equal(future.done(), true);
    const chained = future.then((v) => v + 1);
    assert.ok(!(chained instanceof TaskFuture), 'then() returns a plain Promise');
    assert.equal(await chained, 43);
    const { createRequire } = await import('node:module');
    const cjs = createRequire(import.meta.url)('../dist/index.cjs');
    assert.ok(future instanceof cjs.TaskFuture, 'the CommonJS build knows it too');
    assert.ok(!(Promise.resolve(1) instanceof TaskFuture));
    assert.ok(Object.getPrototypeOf(future) === TaskFuture.prototype, 'an exported class: futures are its instances');
    // Awaiting a settled future resumes as soon as awaiting a settled plain promise does.
    const turns = async (p) => {
      let n = 0;
      let resumed = false;
      void (async () => {
        await p;
        resumed = true;
      })();
      while (!resumed) {
        n++;
        await null;
      }
      return n;
    };
    assert.equal(await turns(future), await turns(Promise.resolve(1)));
    assert.equal(await turns(Promise.all([future])), await turns(Promise.all([Promise.resolve(1)])));
  });
});

test('a SyncFuture is awaitable too', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    assert.equal(await mgr.submitTask(tasks.sleep(5, 'later'), { returnSyncFuture: true }), 'later');
    await assert.rejects(mgr.submitTask(tasks.throwCustom(), { returnSyncFuture: true }), /teapot/);
  });
});

test('task() and inlineTask() run, and values of many shapes travel', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    assert.equal(await mgr.submitTask(task(fixture('tasks.mjs'), 'echo', 'by url')), 'by url');
    assert.equal(await mgr.submitTask(task(fixturePath('tasks.mjs'), 'echo', 'by path')), 'by path');
    assert.equal(await mgr.submitTask(inlineTask((a, b) => a * b, 6, 7)), 42);
    assert.equal(await mgr.submitTask(inlineTask(async (x) => (await import('node:path')).basename(x), '/a/b.txt')), 'b.txt');
    const values = [
      undefined, null, true, false, 0, -0, 1.5, -7, 2 ** 40, NaN, Infinity, 'text', '', 'ünïcødé ✓',
      10n ** 30n, [1, [2, [3]]], { a: { b: { c: [1, 2] } } }, new Date(5), new Map([[1, { x: 2 }]]), new Set(['s']),
      // biome-ignore lint/suspicious/noSparseArray: a hole is one of the values under test
      new Uint8Array([1, 2, 3]), /re/g, [1, , 3],
    ];
    for (const value of values) {
      const back = await mgr.submitTask(tasks.echo(value));
      assert.deepStrictEqual(back, value);
    }
    assert.deepStrictEqual(await mgr.submitTask(tasks.echo(Object.create(null))), {}, 'like structured clone: a plain object');
    const shared = { n: 1 };
    const [x, y] = await mgr.submitTask(tasks.echo([shared, shared]));
    assert.equal(x, y, 'shared references stay shared, as structured clone keeps them');
    const cyclic = { name: 'c' };
    cyclic.self = cyclic;
    const back = await mgr.submitTask(tasks.echo(cyclic));
    assert.equal(back.self, back);
  });
});

test('ESM and CommonJS task modules both load', { timeout: 20000 }, async () => {
  const cjs = defineTasks(fixture('tasks.cjs'));
  await withLoop({}, async (mgr) => {
    assert.equal(await mgr.submitTask(cjs.shout('hi')), 'HI!');
    assert.equal(await mgr.submitTask(cjs.kind()), 'cjs');
    assert.equal(await mgr.submitTask(tasks.echo('esm')), 'esm');
  });
});

test('manager properties, stats and the event loop handle', { timeout: 20000 }, async () => {
  const mgr = new LoopManager({ id: 'props', name: 'props-loop' });
  assert.equal(mgr.id, 'props');
  assert.equal(mgr.name, 'props-loop');
  assert.equal(mgr.ownerThreadId, threadId);
  assert.equal(mgr.state, 'idle');
  assert.equal(mgr.isRunning, false);
  assert.equal(mgr.taskType, null);
  assert.equal(new LoopManager().id, DEFAULT_LOOP_ID);
  mgr.start({ taskType: 'kind' });
  try {
    assert.equal(mgr.isRunning, true);
    assert.equal(mgr.taskType, 'kind');
    const typed = defineTasks(fixture('tasks.mjs'), { taskType: 'kind' });
    await Promise.all([1, 2, 3].map((i) => mgr.submitTask(typed.echo(i))));
    await assert.rejects(mgr.submitTask(typed.throwString()));
    assert.equal(mgr.state, 'running');
    const loop = mgr.getEventLoop();
    assert.ok(loop.threadId > 0 && loop.threadId !== threadId);
    if (runtime === 'node') {
      assert.equal(typeof loop.eventLoopUtilization().utilization, 'number');
    } else {
      // Deno's Worker has no eventLoopUtilization, Bun's returns zeros: refused, naming the runtime.
      assert.throws(() => loop.eventLoopUtilization(), (e) => e instanceof UnsupportedRuntimeError && e.message.includes(e.runtime) && /eventLoopUtilization/.test(e.feature));
    }
    const stats = mgr.stats();
    assert.equal(stats.completed, 3);
    assert.equal(stats.failed, 1);
    assert.equal(stats.pending, 0);
    assert.equal(stats.running, 0);
    assert.ok(stats.uptime > 0);
    // A task that runs until this thread lets it finish: counted as running meanwhile.
    const gate = new SharedArrayBuffer(12);
    const slow = mgr.submitTask(typed.waitForFlag(gate));
    assert.ok(await waitForCount(new Int32Array(gate), 2, 1), 'the task started');
    assert.equal(mgr.stats().running, 1);
    raiseFlag(gate, 5);
    assert.equal(await slow, 5);
    assert.equal(mgr.stats().running, 0);
  } finally {
    await mgr.stop();
  }
  assert.equal(mgr.state, 'stopped');
  assert.equal(mgr.isRunning, false);
});

test('a stopped loop can be started again, with a different task type', { timeout: 20000 }, async () => {
  const mgr = new LoopManager().start();
  assert.equal(mgr.submitTask(tasks.echo(1), { returnSyncFuture: true }).result(), 1);
  await mgr.stop();
  mgr.start({ taskType: 'second' });
  try {
    assert.equal(mgr.taskType, 'second');
    assert.equal(mgr.submitTask(tasks.echo(2), { taskType: 'second', returnSyncFuture: true }).result(), 2);
  } finally {
    await mgr.stop();
  }
});

test('stop() lets running tasks finish', { timeout: 20000 }, async () => {
  const mgr = new LoopManager().start();
  const slow = mgr.submitTask(tasks.sleep(200, 'finished'));
  await mgr.stop();
  assert.equal(await slow, 'finished');
  assert.equal(mgr.state, 'stopped');
});

test('Symbol.asyncDispose stops the loop', { timeout: 20000 }, async () => {
  const mgr = new LoopManager().start();
  await mgr[Symbol.asyncDispose]();
  assert.equal(mgr.state, 'stopped');
  assert.ok(!LoopManager.allInstances().includes(mgr));
  await mgr[Symbol.asyncDispose](); // a second dispose does nothing (it rejected with LoopNotRunningError)
  await assert.rejects(mgr.stop(), { name: 'LoopNotRunningError', message: /was disposed/ });
});

test('many loops run side by side, each with its own thread', { timeout: 30000 }, async () => {
  const managers = Array.from({ length: 4 }, (_, i) => new LoopManager({ id: `side-${i}` }).start());
  try {
    const ids = new Set(managers.map((m) => m.getEventLoop().threadId));
    assert.equal(ids.size, 4);
    const results = await Promise.all(managers.map((m, i) => m.submitTask(tasks.add(i, 100))));
    assert.deepEqual(results, [100, 101, 102, 103]);
  } finally {
    await Promise.all(managers.map((m) => m.stop()));
  }
});

test('thousands of pipelined async tasks all come back right', { timeout: 60000 }, async () => {
  await withLoop({}, async (mgr) => {
    const futures = [];
    for (let i = 0; i < 30000; i++) futures.push(mgr.submitTask(tasks.echo(i)));
    const results = await Promise.all(futures);
    for (let i = 0; i < results.length; i++) assert.equal(results[i], i);
    const syncFutures = [];
    for (let i = 0; i < 10000; i++) syncFutures.push(mgr.submitTask(tasks.echo({ i }), { returnSyncFuture: true }));
    for (let i = 0; i < syncFutures.length; i++) assert.equal(syncFutures[i].result().i, i);
  });
});

test('bursts of 100k awaited tasks: every future settles, none is lost between submit and answer', { timeout: 60000 }, async () => {
  await withLoop({}, async (mgr) => {
    for (let burst = 0; burst < 15; burst++) {
      const futures = new Array(100000);
      for (let i = 0; i < futures.length; i++) futures[i] = mgr.submitTask(tasks.echo(i));
      // A lost answer leaves its future pending forever: give up on the burst after 10 s.
      const stalled = new Promise((_, reject) => setTimeout(() => reject(new Error(`burst ${burst}: ${futures.filter((f) => !f.done()).length} futures never settled`)), 10000).unref());
      const results = await Promise.race([Promise.all(futures), stalled]);
      assert.equal(results[99999], 99999);
    }
  });
});

test('big payloads travel both ways, and transfer moves an ArrayBuffer', { timeout: 30000 }, async () => {
  await withLoop({}, async (mgr) => {
    const big = 'x'.repeat(3 * 1024 * 1024);
    assert.equal(mgr.submitTask(tasks.echo(big), { returnSyncFuture: true }).result().length, big.length);
    const mixed = [];
    for (let i = 0; i < 200; i++) mixed.push(mgr.submitTask(tasks.echo(i % 10 === 0 ? 'y'.repeat(40000 + i) : i)));
    const back = await Promise.all(mixed);
    for (let i = 0; i < 200; i++) assert.equal(back[i], i % 10 === 0 ? 'y'.repeat(40000 + i) : i);
    // Big values nested in objects (found big only once encoded) and big binary data, both ways.
    const nested = { meta: { id: 7 }, body: 'z'.repeat(50000), list: [1, 'two'] };
    assert.deepEqual(mgr.submitTask(tasks.echo(nested), { returnSyncFuture: true }).result(), nested);
    const bytes = Uint8Array.from({ length: 100000 }, (_, i) => i & 255);
    const echoed = await mgr.submitTask(tasks.echo(bytes));
    assert.ok(echoed instanceof Uint8Array && echoed.length === bytes.length && echoed[99999] === bytes[99999]);
    const buffer = new ArrayBuffer(1024 * 1024);
    assert.equal(await mgr.submitTask(tasks.byteLength(buffer), { transfer: [buffer] }), 1024 * 1024);
    assert.equal(buffer.byteLength, 0, 'the buffer moved');
    assert.equal(await mgr.submitTask(tasks.sum([1, 2, 3])), 6);
  });
});

test('the CommonJS build works on its own, and its loops run ESM and CJS tasks', { timeout: 20000 }, async () => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const cjs = require('../dist/index.cjs');
  const mgr = new cjs.LoopManager({ name: 'from-cjs' }).start();
  try {
    assert.equal(mgr.submitTask(cjs.task(fixture('tasks.cjs'), 'shout', 'cjs'), { returnSyncFuture: true }).result(), 'CJS!');
    assert.equal(await mgr.submitTask(cjs.inlineTask((x) => x + 1, 1)), 2);
    const err = await mgr.submitTask(cjs.task(fixture('tasks.mjs'), 'missing')).catch((e) => e);
    assert.equal(err.name, 'TaskNotFoundError');
    assert.ok(err instanceof cjs.TaskNotFoundError);
  } finally {
    await mgr.stop();
  }
});

test('a full request ring never strands a blocked caller (backlog spilled to the side channel)', { timeout: 30000 }, async () => {
  await withLoop({}, async (mgr) => {
    await mgr.submitTask(tasks.echo('warm'));
    for (let round = 0; round < 3; round++) {
      // Keep the loop busy so requests pile up beyond the ring, then block on the newest one.
      mgr.submitTask(tasks.spin(100));
      const futures = [];
      for (let i = 0; i < 20000; i++) futures.push(mgr.submitTask(tasks.echo('p'.repeat(20) + i), { returnSyncFuture: true }));
      assert.equal(futures.at(-1).result(10000), 'p'.repeat(20) + 19999);
      assert.equal(futures[0].result(10000), 'p'.repeat(20) + 0);
      // Let the loop fall asleep with nothing to do, then do it again.
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
