import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopCrashedError, LoopManager, LoopNotRunningError, inlineTask } from '../dist/index.js';
import { skipOn, startSignal, tasks } from './helpers.mjs';

// Out of memory needs resourceLimits that hold: Bun ignores them (sideloop refuses the option
// there), and a Deno worker that runs out of memory inside a microtask, where a loop runs its
// tasks, hangs without an 'error' or 'exit' event (docs/runtimes.md).
const oomSkip = skipOn({ bun: 'Bun ignores resourceLimits (refused with UnsupportedRuntimeError)', deno: 'a Deno worker out of memory in a microtask hangs, with no error or exit' });

/**
 * A task that arms the loop to die, in the way `how` says, as soon as the next task counted in
 * `started` (a startSignal's buffer) starts: the caller blocked on that task is then waiting
 * for an answer that never comes.
 */
const dieWhenStarted = (how, started) =>
  inlineTask(
    (how, started) => {
      const words = new Int32Array(started);
      const die = () =>
        setTimeout(() => {
          if (how === 'exit') process.exit(3);
          if (how === 'reject') Promise.reject(new Error('rejected outside any task'));
          else throw new Error('thrown outside any task');
        }, 0);
      Atomics.waitAsync(words, 0, 0).value.then(die);
      return 'armed';
    },
    how,
    started,
  );

async function startWarm(options) {
  const mgr = new LoopManager(options).start();
  await mgr.submitTask(tasks.echo('warm'));
  return mgr;
}

test('process.exit in a task settles every pending future, including a blocked result(), with LoopCrashedError', { timeout: 20000 }, async () => {
  const mgr = await startWarm({ name: 'exits' });
  const pendingAsync = mgr.submitTask(tasks.sleep(60000)).catch((e) => e);
  const pendingSync = mgr.submitTask(tasks.sleep(60000), { returnSyncFuture: true });
  const started = startSignal();
  await mgr.submitTask(dieWhenStarted('exit', started.buffer));
  const blocked = mgr.submitTask(tasks.sleep(60000, null, started.buffer), { returnSyncFuture: true });
  // Its own timeout: a caller the crash fails to wake gets TimeoutError and fails the test, not a hang.
  assert.throws(() => blocked.result(15000), (err) => err instanceof LoopCrashedError && err.exitCode === 3 && /exits/.test(err.message));
  const asyncError = await pendingAsync;
  assert.ok(asyncError instanceof LoopCrashedError);
  assert.equal(asyncError.exitCode, 3);
  assert.throws(() => pendingSync.result(), LoopCrashedError);
  assert.equal(mgr.state, 'crashed');
  assert.equal(mgr.isRunning, false);
  assert.throws(() => mgr.submitTask(tasks.echo(1)), LoopNotRunningError);
});

test('an error thrown outside any task crashes the loop; the blocked caller gets its cause', { timeout: 20000 }, async () => {
  const mgr = await startWarm({ name: 'throws' });
  const started = startSignal();
  await mgr.submitTask(dieWhenStarted('throw', started.buffer));
  const blocked = mgr.submitTask(tasks.sleep(60000, null, started.buffer), { returnSyncFuture: true });
  assert.throws(() => blocked.result(15000), (err) =>
    err instanceof LoopCrashedError && err.exitCode === 1 && err.cause instanceof Error && err.cause.message === 'thrown outside any task',
  );
  assert.equal(mgr.state, 'crashed');
});

// Bun's worker reports neither the cause nor exit code 1 here by itself (docs/runtimes.md).
test('a promise rejected outside any task, unhandled, crashes the loop; the blocked caller gets its cause', { timeout: 20000 }, async () => {
  const mgr = await startWarm({ name: 'rejects' });
  const started = startSignal();
  await mgr.submitTask(dieWhenStarted('reject', started.buffer));
  const blocked = mgr.submitTask(tasks.sleep(60000, null, started.buffer), { returnSyncFuture: true });
  assert.throws(() => blocked.result(15000), (err) =>
    err instanceof LoopCrashedError && err.exitCode === 1 && err.cause instanceof Error && err.cause.message === 'rejected outside any task',
  );
  assert.equal(mgr.state, 'crashed');
});

test('running out of memory under resourceLimits wakes the caller blocked on that very task', { timeout: 30000, skip: oomSkip }, async () => {
  const mgr = await startWarm({ name: 'hungry', resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } });
  const other = mgr.submitTask(tasks.sleep(60000)).catch((e) => e);
  // Its own timeout: a caller the crash fails to wake gets TimeoutError and fails the test, not a hang.
  assert.throws(() => mgr.submitTask(tasks.eatMemory(), { returnSyncFuture: true }).result(25000), LoopCrashedError);
  assert.ok((await other) instanceof LoopCrashedError);
  assert.equal(mgr.state, 'crashed');
});

test('out of memory while nobody blocks: awaiting futures reject with the exit code and the cause', { timeout: 30000, skip: oomSkip }, async () => {
  const mgr = await startWarm({ name: 'hungry-async', resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } });
  const err = await mgr.submitTask(tasks.eatMemory()).catch((e) => e);
  assert.ok(err instanceof LoopCrashedError);
  assert.equal(err.exitCode, 1);
  assert.match(String(err.cause?.message), /memory/i);
});

test('a crashed manager can be started again and works', { timeout: 20000 }, async () => {
  const mgr = await startWarm({ name: 'phoenix' });
  await assert.rejects(mgr.submitTask(tasks.exitNow(9)), (err) => err instanceof LoopCrashedError && err.exitCode === 9);
  assert.equal(mgr.state, 'crashed');
  mgr.start();
  try {
    assert.equal(mgr.submitTask(tasks.add(1, 2), { returnSyncFuture: true }).result(), 3);
    assert.equal(mgr.state, 'running');
  } finally {
    await mgr.stop();
  }
});

test('a crash in one loop leaves other loops running', { timeout: 20000 }, async () => {
  const doomed = await startWarm({ name: 'doomed' });
  const healthy = await startWarm({ name: 'healthy' });
  try {
    const slow = healthy.submitTask(tasks.sleep(200, 'survived'));
    await assert.rejects(doomed.submitTask(tasks.exitNow(2)), LoopCrashedError);
    assert.equal(await slow, 'survived');
    assert.equal(healthy.submitTask(tasks.echo('yes'), { returnSyncFuture: true }).result(), 'yes');
  } finally {
    await healthy.stop();
  }
});
