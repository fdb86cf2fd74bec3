// A `timeoutMs` longer than a Node timer can wait (2^31 - 1 ms), or Infinity, means no
// timeout: never a shorter one (a longer delay makes setTimeout fire after 1 ms).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopManager } from '../dist/index.js';
import { tasks, withLoop } from './helpers.mjs';

const huge = [2 ** 31, 2 ** 40, Number.MAX_VALUE, Infinity];

test('submitTask: a timeoutMs of 2^31 ms or more, or Infinity, never times a task out early', { timeout: 30000 }, async () => {
  await withLoop({}, async (mgr) => {
    for (const timeoutMs of huge) {
      assert.equal(await mgr.submitTask(tasks.sleep(50, 'awaited'), { timeoutMs }), 'awaited', `awaited, timeoutMs ${timeoutMs}`);
      assert.equal(mgr.submitTask(tasks.sleep(50, 'blocked'), { timeoutMs, returnSyncFuture: true }).result(), 'blocked', `blocked, timeoutMs ${timeoutMs}`);
      const sync = mgr.submitTask(tasks.sleep(50, 'awaited sync'), { timeoutMs, returnSyncFuture: true });
      assert.equal(await sync, 'awaited sync', `awaited SyncFuture, timeoutMs ${timeoutMs}`);
    }
    // The largest delay a timer takes still works as a timeout, and a short one still fires.
    assert.equal(await mgr.submitTask(tasks.sleep(20, 'max'), { timeoutMs: 2 ** 31 - 1 }), 'max');
    await assert.rejects(mgr.submitTask(tasks.sleep(10000), { timeoutMs: 20 }), { name: 'TimeoutError' });
    const stats = mgr.stats();
    assert.equal(stats.pending, 0);
  });
});

test('stop: a timeoutMs of 2^31 ms or more, or Infinity, lets running tasks finish instead of terminating at once', { timeout: 30000 }, async () => {
  for (const timeoutMs of huge) {
    const mgr = new LoopManager().start();
    try {
      const running = mgr.submitTask(tasks.sleep(200, 'finished'));
      await mgr.submitTask(tasks.echo('ready')); // the sleep has started
      await mgr.stop({ timeoutMs });
      assert.equal(await running, 'finished', `stop({ timeoutMs: ${timeoutMs} }) let the task finish`);
    } finally {
      if (mgr.isRunning) await mgr.stop({ timeoutMs: 5000 });
    }
  }
});
