import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, runScript } from './helpers.mjs';

// Call ids are u32 on the wire, so a lane that has made 2^32 calls (about an hour of
// back-to-back calls at ~1 us) starts again from 0. The child runs the submitting side from
// source (tsx) and starts a loop run's owner lane just short of the wrap, through a
// constructor parameter only tests pass; the loop thread is the built one. A burst crosses
// the wrap (its first call in the box, the rest in the ring, which the loop must still start
// in order), then blocking and awaited calls and a cancel that must reach its running task
// work on the far side.
const src = (path) => JSON.stringify(new URL(`../src/${path}`, import.meta.url).href);
const loopThread = JSON.stringify(new URL('../dist/loop-thread.js', import.meta.url).href);
const script = `
  const { registry } = await import(${src('registry/registry.ts')});
  const { LoopRun } = await import(${src('client/loop-run.ts')});
  const { SyncFuture, TaskFuture } = await import(${src('future.ts')});
  const { defineTasks } = await import(${src('task.ts')});
  const { CancelledError } = await import(${src('errors.ts')});
  const tasks = defineTasks(new URL(${JSON.stringify(fixture('tasks.mjs').href)}));
  let loops = 0;
  // A loop run whose owner lane's first call id is firstCallId, with what the test needs of a manager.
  function startLoop(firstCallId) {
    const reg = registry();
    const name = 'wrap-' + ++loops;
    const run = new LoopRun(reg, reg.create(name, name), name, null, {}, { firstCallId, entry: new URL(${loopThread}) });
    return {
      submitTask(task, opts = {}) {
        const call = run.lane.submit(task, null, opts);
        return opts.returnSyncFuture ? new SyncFuture(call) : TaskFuture.of(call);
      },
      stop: () => run.stop(false, undefined),
    };
  }
  const mgr = startLoop(2 ** 32 - 100);
  const out = {};
  /** A word tasks bump when they start (their \`started\` argument), and a wait for n starts. */
  const startSignal = () => {
    const words = new Int32Array(new SharedArrayBuffer(4));
    const reached = async (n) => {
      for (let seen; (seen = Atomics.load(words, 0)) < n; ) {
        if ((await Atomics.waitAsync(words, 0, seen, 10000).value) === 'timed-out') throw new Error('tasks never started');
      }
    };
    return { buffer: words.buffer, reached };
  };
  out.burst = await Promise.all(Array.from({ length: 300 }, (_, i) => mgr.submitTask(tasks.recordStart(i))));
  out.starts = await mgr.submitTask(tasks.takeStarts());
  out.blocking = [];
  for (let i = 0; i < 10; i++) out.blocking.push(mgr.submitTask(tasks.echo(i), { returnSyncFuture: true }).result(5000));
  const runningStarted = startSignal();
  const running = mgr.submitTask(tasks.recordAbort('after-wrap', runningStarted.buffer));
  await runningStarted.reached(1);
  running.cancel();
  out.cancelled = await running.then(() => 'resolved', (e) => e instanceof CancelledError);
  out.aborted = await mgr.submitTask(tasks.abortedAtLeast(1));
  out.awaited = [];
  for (let i = 0; i < 10; i++) out.awaited.push(await mgr.submitTask(tasks.add(i, 1)));
  await mgr.stop();

  // Right at the wrap: the last id before it goes in the box while the loop is busy, the next
  // ones (0, 1, ...) in the ring; the loop then sees them together and must start the boxed
  // one first. The spinning call is too big for the box, so it takes the ring and leaves the box free.
  const edge = startLoop(2 ** 32 - 2);
  await edge.submitTask(tasks.echo('warm'));
  const busy = edge.submitTask(tasks.spin(200, 'x'.repeat(100)));
  const tagged = Array.from({ length: 20 }, (_, i) => edge.submitTask(tasks.recordStart(i)));
  await busy;
  await Promise.all(tagged);
  out.edgeStarts = await edge.submitTask(tasks.takeStarts());
  await edge.stop();

  // A loop that dies with calls pending on both sides of the wrap fails them oldest first.
  const doomed = startLoop(2 ** 32 - 2);
  await doomed.submitTask(tasks.echo('warm'));
  out.failOrder = [];
  const sleeping = startSignal();
  const failing = [0, 1, 2, 3].map((i) => doomed.submitTask(tasks.sleep(60000, i, sleeping.buffer)).catch(() => out.failOrder.push(i)));
  await sleeping.reached(4);
  doomed.submitTask(tasks.exitNow(3)).catch(() => {});
  await Promise.all(failing);
  console.log(JSON.stringify(out));
`;

test('call ids wrap at 2^32 without losing or mixing up a call', { timeout: 60000 }, async () => {
  // Loading the sources through tsx costs seconds of CPU: on a loaded machine, many more of wall time.
  const out = await runScript(script, { timeoutMs: 50000, execArgv: ['--import', 'tsx'] });
  assert.equal(out.signal, null, `the child hung: ${out.stderr}`);
  assert.equal(out.code, 0, out.stderr);
  const r = JSON.parse(out.stdout);
  const upTo = (n) => Array.from({ length: n }, (_, i) => i);
  assert.deepEqual(r.burst, upTo(300));
  assert.deepEqual(r.starts, upTo(300), 'the loop started the burst out of order');
  assert.deepEqual(r.blocking, upTo(10));
  assert.equal(r.cancelled, true);
  assert.deepEqual(r.aborted, ['after-wrap:CancelledError']);
  assert.deepEqual(r.awaited, upTo(10).map((i) => i + 1));
  assert.deepEqual(r.edgeStarts, upTo(20), 'the loop started calls out of order at the wrap');
  assert.deepEqual(r.failOrder, upTo(4), 'calls of a dead loop failed out of order at the wrap');
});
