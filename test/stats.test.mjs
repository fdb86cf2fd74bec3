// stats() counts each task as its future settled: a task cancelled (or timed out) on the
// caller's side after the loop had finished it is counted cancelled, not completed or failed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inlineTask } from '../dist/index.js';
import { tasks, withLoop } from './helpers.mjs';

const quick = (x) => x;
const throwing = (x) => {
  throw new Error(`no ${x}`);
};

test('cancel races: stats() totals match how the futures settled', { timeout: 60000 }, async () => {
  await withLoop({}, async (mgr) => {
    const seen = { completed: 0, failed: 0, cancelled: 0 };
    const futures = [];
    for (let i = 0; i < 20000; i++) {
      let future;
      if (i % 11 === 0) future = mgr.submitTask(tasks.sleep(i % 3), { timeoutMs: i % 2 }); // timers on both sides race
      else future = mgr.submitTask(inlineTask(i % 5 === 0 ? throwing : quick, i));
      // Cancelled at different moments: before the loop saw it, while it ran, after it finished.
      if (i % 3 === 0) queueMicrotask(() => future.cancel());
      else if (i % 3 === 1) setImmediate(() => future.cancel());
      futures.push(
        future.then(
          () => seen.completed++,
          (err) => (err.name === 'CancelledError' || err.name === 'TimeoutError' ? seen.cancelled++ : seen.failed++),
        ),
      );
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(futures);
    // One more call: its answer comes after every earlier one, so this thread has read them all.
    assert.equal(await mgr.submitTask(tasks.echo('last')), 'last');
    seen.completed++;
    const { completed, failed, cancelled, pending, running } = mgr.stats();
    assert.deepEqual({ completed, failed, cancelled, pending, running }, { ...seen, pending: 0, running: 0 });
    assert.ok(seen.cancelled > 0 && seen.failed > 0, 'the mix had cancels and failures');
  });
});
