// Cross-loop deadlocks (issue 16.5): loops whose threads block on each other in a cycle throw
// DeadlockError in the thread whose wait closes the cycle, naming the loops; nothing else is
// disturbed. Before, every thread of the cycle waited forever (here: until a 10 s result() timeout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { LoopManager, defineTasks, inlineTask } from '../dist/index.js';
import { distUrl, fixture } from './helpers.mjs';

const tasks = defineTasks(fixture('deadlock-tasks.mjs'));

async function withLoops(names, fn) {
  const loops = names.map((name) => new LoopManager({ name }).start());
  try {
    return await fn(loops);
  } finally {
    await Promise.all(loops.map((l) => l.stop({ timeoutMs: 5000 })));
  }
}

/** Every loop still runs tasks, both ways. */
async function stillServing(loops) {
  for (const loop of loops) {
    assert.equal(await loop.submitTask(inlineTask((x) => x + 1, 1)), 2);
    assert.equal(loop.submitTask(inlineTask(() => 'ok'), { returnSyncFuture: true }).result(10000), 'ok');
  }
}

test('a task in A blocks on B while a task in B blocks on A: DeadlockError in B, naming both loops', { timeout: 30000 }, async () => {
  await withLoops(['dl-a', 'dl-b'], async (loops) => {
    const [a] = loops;
    const outcome = await a.submitTask(tasks.chain(['dl-b', 'dl-a'], 'dl-a'));
    assert.equal(outcome.caughtIn, 'dl-b');
    assert.equal(outcome.name, 'DeadlockError');
    assert.equal(outcome.code, 'ERR_SIDELOOP_DEADLOCK');
    assert.match(outcome.message, /"dl-b" -> "dl-a" -> "dl-b"/);
    await stillServing(loops);
  });
});

test('a longer cycle A -> B -> C -> A is caught where it closes, in C', { timeout: 30000 }, async () => {
  await withLoops(['dl-a', 'dl-b', 'dl-c'], async (loops) => {
    const outcome = loops[0].submitTask(tasks.chain(['dl-b', 'dl-c', 'dl-a'], 'dl-a'), { returnSyncFuture: true }).result(20000);
    assert.equal(outcome.caughtIn, 'dl-c');
    assert.equal(outcome.name, 'DeadlockError');
    assert.match(outcome.message, /"dl-c" -> "dl-a" -> "dl-b" -> "dl-c"/);
    await stillServing(loops);
  });
});

test('a chain that is no cycle blocks through to its end, also visiting a loop twice in turn', { timeout: 30000 }, async () => {
  await withLoops(['dl-a', 'dl-b', 'dl-c'], async (loops) => {
    assert.deepEqual(await loops[0].submitTask(tasks.chain(['dl-b', 'dl-c'], 'dl-a')), { end: 'dl-c' });
    // A blocks on B, whose task ends; then A blocks on C, which blocks on B: B is free by then.
    assert.deepEqual(await loops[0].submitTask(tasks.chain(['dl-b'], 'dl-a')), { end: 'dl-b' });
    assert.deepEqual(await loops[0].submitTask(tasks.chain(['dl-c', 'dl-b'], 'dl-a')), { end: 'dl-b' });
  });
});

test('two waits that close the cycle at the same moment: exactly one throws, the other gets through', { timeout: 60000 }, async () => {
  await withLoops(['dl-a', 'dl-b'], async (loops) => {
    for (let round = 0; round < 10; round++) {
      const barrier = new SharedArrayBuffer(4);
      const outcomes = await Promise.all([
        loops[0].submitTask(tasks.crossBlock('dl-a', 'dl-b', barrier)),
        loops[1].submitTask(tasks.crossBlock('dl-b', 'dl-a', barrier)),
      ]);
      const thrown = outcomes.filter((o) => o.name === 'DeadlockError');
      assert.equal(thrown.length, 1, JSON.stringify(outcomes));
      const other = outcomes.find((o) => o !== thrown[0]);
      assert.match(other.value, /got through/);
    }
    await stillServing(loops);
  });
});

test('loops owned by different threads, reached through handles, are caught too', { timeout: 30000 }, async () => {
  const worker = new Worker(new URL('data:text/javascript,' + encodeURIComponent(
    `import { LoopManager } from ${JSON.stringify(distUrl)};
     import { parentPort } from 'node:worker_threads';
     const loop = new LoopManager({ name: 'dl-worker' }).start();
     parentPort.postMessage('ready');
     parentPort.once('message', async () => { await loop.stop(); parentPort.close(); });`)),
  );
  try {
    await new Promise((resolve) => worker.once('message', resolve));
    await withLoops(['dl-main'], async ([main]) => {
      const outcome = await main.submitTask(tasks.chain(['dl-worker', 'dl-main'], 'dl-main'));
      assert.equal(outcome.caughtIn, 'dl-worker');
      assert.equal(outcome.name, 'DeadlockError');
      assert.match(outcome.message, /"dl-worker" -> "dl-main" -> "dl-worker"/);
      await stillServing([main]);
    });
  } finally {
    worker.postMessage('stop');
    await new Promise((resolve) => worker.once('exit', resolve));
  }
});
