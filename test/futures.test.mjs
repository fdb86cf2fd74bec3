import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CancelledError, TimeoutError, SideloopError, inlineTask } from '../dist/index.js';
import { distUrl, raiseFlag, startSignal, tasks, withLoop } from './helpers.mjs';

/** Starts the loop and loads the task module, so that a task submitted next starts at once. */
async function warm(mgr) {
  await mgr.submitTask(tasks.echo('warm'));
  return mgr;
}

test('cancel() rejects the future with CancelledError and aborts the running task', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    await warm(mgr);
    const started = startSignal();
    const future = mgr.submitTask(tasks.recordAbort('cancel', started.buffer));
    assert.ok(await started.reached(), 'the task started');
    assert.equal(future.cancel(), true);
    await assert.rejects(future, (err) => err instanceof CancelledError && err.code === 'ERR_SIDELOOP_CANCELLED');
    assert.equal(future.cancel(), false, 'a settled future cannot be cancelled again');
    assert.deepEqual(await mgr.submitTask(tasks.abortedAtLeast(1)), ['cancel:CancelledError']);
  });
});

test('a SyncFuture can be cancelled, and result() then throws CancelledError', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    const future = mgr.submitTask(tasks.sleep(10000), { returnSyncFuture: true });
    assert.equal(future.done(), false);
    assert.equal(future.cancel(), true);
    assert.equal(future.done(), true);
    assert.throws(() => future.result(), CancelledError);
    assert.ok(future.exception() instanceof CancelledError);
  });
});

test('an AbortSignal cancels the task, before or after submission', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    await warm(mgr);
    const controller = new AbortController();
    const started = startSignal();
    const future = mgr.submitTask(tasks.recordAbort('signal', started.buffer), { signal: controller.signal });
    assert.ok(await started.reached(), 'the task started');
    controller.abort(new Error('user gave up'));
    await assert.rejects(future, (err) => err instanceof CancelledError && err.cause.message === 'user gave up');
    const early = mgr.submitTask(tasks.recordAbort('early'), { signal: AbortSignal.abort() });
    await assert.rejects(early, CancelledError);
    assert.deepEqual(await mgr.submitTask(tasks.abortedAtLeast(1)), ['signal:CancelledError'], 'the early one never ran');
  });
});

test('timeoutMs aborts a task that runs too long: TimeoutError, and the task sees it', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    await warm(mgr);
    await assert.rejects(mgr.submitTask(tasks.recordAbort('slow'), { timeoutMs: 100 }), (err) => err instanceof TimeoutError && err instanceof SideloopError);
    const sync = mgr.submitTask(tasks.sleep(5000), { timeoutMs: 100, returnSyncFuture: true });
    assert.throws(() => sync.result(), TimeoutError);
    assert.equal(await mgr.submitTask(tasks.sleep(10, 'quick'), { timeoutMs: 5000 }), 'quick');
    assert.deepEqual(await mgr.submitTask(tasks.abortedAtLeast(1)), ['slow:TimeoutError']);
  });
});

test('result(timeoutMs) throws TimeoutError and leaves the future usable', { timeout: 20000 }, async () => {
  await withLoop({}, (mgr) => {
    // The task cannot finish before this thread lets it: result(50) must give up, not wait for it.
    const gate = new SharedArrayBuffer(12);
    const future = mgr.submitTask(tasks.waitForFlag(gate), { returnSyncFuture: true });
    assert.throws(() => future.result(50), (err) => err instanceof TimeoutError && /still pending/.test(err.message));
    assert.equal(future.done(), false);
    assert.equal(future.exception(), null);
    raiseFlag(gate, 77);
    assert.equal(future.result(10000), 77);
    assert.equal(future.done(), true);
  });
});

test('currentSignal() is the task\'s signal, also after an await; undefined outside tasks', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    assert.equal(await mgr.submitTask(tasks.signalAfterAwait()), true);
    assert.equal(await mgr.submitTask(tasks.hasSignalOutsideTask()), 'object', 'a timer started inside a task keeps its context');
    const { currentSignal } = await import('../dist/index.js');
    assert.equal(currentSignal(), undefined);
  });
});

// Tasks run in their AsyncLocalStorage scope only once someone may ask (src/loop/task-context.ts):
// a task that loads sideloop's API only while it runs started unscoped, and still gets its own
// signal, also after an await, also when cancelled; tasks after it run scoped.
test('currentSignal() in a task that imports sideloop only while it runs: its own signal, and cancelling it aborts that signal', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    const SEEN = 'sideloop.test.seen';
    const asks = inlineTask(
      async (dist, key) => {
        const { currentSignal } = await import(dist);
        await new Promise((r) => setTimeout(r, 1));
        const signal = currentSignal();
        globalThis[Symbol.for(key)] = signal instanceof AbortSignal && !signal.aborted ? 'signal' : 'no signal';
        signal?.addEventListener('abort', () => {
          globalThis[Symbol.for(key)] = 'aborted';
        });
        await new Promise((r) => setTimeout(r, 10000));
      },
      distUrl,
      SEEN,
    );
    const seen = () => mgr.submitTask(inlineTask((key) => globalThis[Symbol.for(key)] ?? 'unset', SEEN));
    const waitFor = async (want) => {
      for (let i = 0; i < 200 && (await seen()) !== want; i++) await new Promise((r) => setTimeout(r, 10));
      return seen();
    };
    const first = mgr.submitTask(asks);
    assert.equal(await waitFor('signal'), 'signal');
    first.cancel();
    await assert.rejects(first, CancelledError);
    assert.equal(await waitFor('aborted'), 'aborted');
    assert.equal(await mgr.submitTask(tasks.signalAfterAwait()), true, 'tasks after it run scoped');
  });
});

test('one failing, hanging or slow task leaves the others alone', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    const hanging = mgr.submitTask(tasks.waitForAbort());
    const failing = mgr.submitTask(tasks.throwCustom());
    const fine = mgr.submitTask(tasks.add(1, 1));
    await assert.rejects(failing, /teapot/);
    assert.equal(await fine, 2);
    assert.equal(mgr.submitTask(tasks.echo('still fine'), { returnSyncFuture: true }).result(), 'still fine');
    hanging.cancel();
    await assert.rejects(hanging, CancelledError);
  });
});

test('stop({ cancelPending }) cancels running tasks, their futures reject with CancelledError', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    await warm(mgr);
    const started = startSignal();
    const running = assert.rejects(mgr.submitTask(tasks.waitForAbort(started.buffer)), CancelledError);
    const blocking = mgr.submitTask(tasks.sleep(60000, 'late', started.buffer), { returnSyncFuture: true });
    assert.ok(await started.reached(2), 'both tasks started');
    await mgr.stop({ cancelPending: true });
    await running;
    assert.throws(() => blocking.result(), CancelledError);
  });
});

test('stop({ timeoutMs }) terminates a loop stuck in a CPU-bound task', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    await warm(mgr);
    const started = startSignal();
    const stuck = assert.rejects(mgr.submitTask(tasks.spin(60000, null, started.buffer)), CancelledError);
    assert.ok(await started.reached(), 'the task is spinning');
    await mgr.stop({ timeoutMs: 200 });
    assert.equal(mgr.state, 'stopped');
    assert.equal(mgr.isRunning, false);
    await stuck;
  });
});
