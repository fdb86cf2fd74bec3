// A thread's requests reach the loop by three ways: a one-record box for a lone
// call, the request ring, and the side channel (big or transferred arguments).
// Whatever way each took, tasks start in the order they were submitted, and
// every answer reaches its own future.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CancelledError, inlineTask } from '../dist/index.js';
import { tasks, withLoop } from './helpers.mjs';

const sync = { returnSyncFuture: true };

test('tasks start in submit order, whether they travel in the box, the ring or the side channel', { timeout: 30000 }, async () => {
  await withLoop({}, async (mgr) => {
    await mgr.submitTask(tasks.takeStarts());
    const big = 'x'.repeat(64 * 1024);
    const expected = [];
    for (let round = 0; round < 300; round++) {
      const futures = [];
      const kinds = ['box', 'ring', 'ring', 'big', 'transfer', 'ring', 'sync'];
      // Rotate the mix, so the boxed call lands before, between and after the others.
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(k + round) % kinds.length];
        const tag = `${round}:${k}:${kind}`;
        expected.push(tag);
        if (kind === 'box' || kind === 'sync') futures.push(mgr.submitTask(tasks.recordStart(tag), sync));
        else if (kind === 'big') futures.push(mgr.submitTask(tasks.recordStart(tag, big)));
        else if (kind === 'transfer') {
          const buffer = new ArrayBuffer(8);
          futures.push(mgr.submitTask(tasks.recordStart(tag, buffer), { transfer: [buffer] }));
        } else futures.push(mgr.submitTask(tasks.recordStart(tag)));
      }
      // Every few rounds, block on the first one while the rest are in flight.
      if (round % 3 === 0 && typeof futures[0].result === 'function') futures[0].result();
      const values = await Promise.all(futures);
      assert.deepEqual(values, expected.slice(-kinds.length), 'each future got its own answer');
    }
    assert.deepEqual(await mgr.submitTask(tasks.takeStarts()), expected);
  });
});

test('a lone call cancelled before or while it runs frees the box, and later calls get their own answers', { timeout: 30000 }, async () => {
  await withLoop({}, async (mgr) => {
    await mgr.submitTask(tasks.echo('warm'));
    for (let round = 0; round < 50; round++) {
      // A task that ignores its signal: its answer comes back after the call was given up.
      const stale = mgr.submitTask(tasks.spin(round % 5), sync);
      assert.equal(stale.cancel(), true);
      assert.throws(() => stale.result(), CancelledError);
      const aborted = mgr.submitTask(tasks.sleep(10000), sync);
      aborted.cancel();
      for (let i = 0; i < 5; i++) {
        assert.equal(mgr.submitTask(tasks.add(round, i), sync).result(), round + i);
      }
    }
    const stats = mgr.stats();
    assert.equal(stats.pending, 0);
  });
});

test('bursts of first-use inline tasks: a boxed submit never overtakes the ring records that define its function', { timeout: 60000 }, async () => {
  // Each task is a new function, so each submit sends a DefineFn in the ring, then (when the
  // box is free) the Submit in the box. A task answered during the loop's drain freed the box,
  // and the next boxed Submit was taken before its DefineFn: "unknown function id", ~40 in 50k.
  await withLoop({}, async (mgr) => {
    let n = 0;
    for (let burst = 0; burst < 10; burst++) {
      const futures = [];
      for (let i = 0; i < 5000; i++, n++) {
        const fn = new Function(`(globalThis.__starts ??= []).push(${n}); return ${n};`);
        futures.push(mgr.submitTask(inlineTask(fn)));
      }
      const settled = await Promise.allSettled(futures);
      const failed = settled.filter((s) => s.status === 'rejected');
      assert.equal(failed.length, 0, `${failed.length} failed, the first: ${failed[0]?.reason}`);
    }
    const starts = await mgr.submitTask(inlineTask(() => globalThis.__starts));
    assert.equal(starts.length, n);
    const inversions = starts.filter((v, i) => i > 0 && v < starts[i - 1]).length;
    assert.equal(inversions, 0, 'tasks started in submit order');
  });
});
