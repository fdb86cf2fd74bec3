// The waiting policy (src/channel/wait-policy.ts), through what it does on real threads and not
// how fast: on one core nothing spins; a lane whose tasks outlast a spin stops spinning.
// stats().spins counts the waits that spun, by callers and by the loop thread alike.
import test from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import { fixturePath, onlyOn, runFile, runtime, scriptArgv, skipOn } from './helpers.mjs';
import { spawnWithTimeout } from './spawn.mjs';

const taskset = (process.env.PATH ?? '')
  .split(delimiter)
  .map((dir) => join(dir, 'taskset'))
  .find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/** Runs fixture `file` pinned to CPU 0; resolves with the JSON line it printed last. */
async function pinnedRun(file, args, timeoutMs = 60000) {
  const argv = ['-c', '0', process.execPath, ...scriptArgv(fixturePath(file), [], args)];
  const { code, stdout, stderr } = await spawnWithTimeout(taskset, argv, { timeoutMs });
  if (code !== 0) throw new Error(`exit ${code}: ${stderr}`);
  return JSON.parse(stdout.trim().split('\n').pop());
}

async function run(args, file = 'spin-count.mjs') {
  const { code, stdout, stderr } = await runFile(fixturePath(file), { args, timeoutMs: 60000 });
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout.trim().split('\n').pop());
}

test('pinned to one core, an awaiting thread blocks briefly for quick answers and backs off for slow tasks', { skip: !taskset ? 'taskset not found' : skipOn({ bun: 'Bun awaits without the brief block, which gained nothing there' }) }, async () => {
  // The loop thread its submit woke runs only once this thread gives up the core; a block is
  // woken by a futex hand-off, a waitAsync through V8's task queue and libuv (result-poller.ts).
  const r = await pinnedRun('await-block.mjs', ['200']);
  assert.equal(r.cores, 1);
  // ~120-160 of 200 trivial calls here (the rest found the answer already there as they parked).
  assert.ok(r.trivial >= 40, `blocks in 200 awaited trivial calls: ${r.trivial}`);
  // A 2 ms task keeps the event loop blocked while it runs: after each such block the thread
  // skips twice as many, up to 32 (~10 of 200 here; every call without the backoff).
  assert.ok(r.slow <= 25, `blocks in 200 awaited calls of a 2 ms task: ${r.slow}`);
});

test('with more than one core an awaiting thread never blocks for its results', { skip: availableParallelism() < 2 && 'one core here' }, async () => {
  const r = await run(['50'], 'await-block.mjs');
  assert.deepEqual([r.trivial, r.slow], [0, 0]);
});

test('a process pinned to one core never spins: blocking, awaited and pipelined calls all park', { skip: !taskset && 'taskset not found' }, async () => {
  const r = await pinnedRun('spin-count.mjs', ['trivial', '200']);
  assert.equal(r.cores, 1, 'taskset -c 0 leaves one core to the process');
  assert.equal(r.completed, 1 + 200 + 200 + 2000);
  assert.equal(r.spins, 0);
});

test('with more than one core the waiters spin (a hand-off between running threads is cheaper than a wake-up)', { skip: availableParallelism() < 2 && 'one core here' }, async () => {
  const r = await run(['trivial', '200']);
  assert.ok(r.spins > 0, `spins: ${r.spins}`);
});

test('a lane whose tasks take longer than a spin backs off: most of 100 calls of a 2 ms task park without spinning', async () => {
  const r = await run(['sleep', '100']);
  assert.equal(r.completed, 102); // with the call that reads the loop's counts
  // Without backoff every call spins twice (the caller, and the loop while the task sleeps):
  // 200. With it, failed spins double the waits that skip spinning, up to 32.
  assert.ok(r.spins <= 40, `spins: ${r.spins}`);
});

test('an idle loop thread with nothing pending blocks in Atomics.wait between calls; one with a timer left behind does not', { skip: !taskset ? 'taskset not found' : onlyOn('node', 'the idle loop blocks on Node only: on Bun and Deno its channels arrive only through the event loop') }, async () => {
  // Pinned to one core nothing polls, so every wait between two calls is a park: a block when nothing else needs the event loop.
  const r = await pinnedRun('idle-block.mjs', ['200']);
  assert.ok(r.idle >= 40, `blocks in 400 calls: ${r.idle}`); // ~100 here: most waits come while a 1 ms task runs, and it blocks once it ends
  assert.equal(r.withTimer, 0, 'a ref\'d timer a task left behind keeps the event loop turning');
});

test('300 blocking calls of a 2 ms task: the loop never polls while the task runs (Node), nor after a wake-up left over from a park a block ended', async () => {
  const r = await run(['sleep', '300']);
  assert.equal(r.completed, 302); // with the call that reads the loop's counts
  // Its only submitter is waiting for the task: nothing to poll for (wait-policy.ts, loopMayPoll).
  if (runtime === 'node') assert.deepEqual(r.polls, { polls: 0, failed: 0 });
  // On Node the loop parks at once while a task runs (nothing it polls for can come from a
  // blocked caller), and the caller does not spin while the loop is parked: 0-1 here. What
  // remains is a caller that looked before the loop parked, bounded by its backoff (one wait in
  // 33). Polling while tasks ran, the loop polled ~1 idle period in 33 (13-14), as it still does
  // on Bun and Deno (loop-runtime.ts says why); with a stale waitAsync wake counted as a quick
  // answer, many more (58).
  const bound = runtime === 'node' ? 12 : 40;
  assert.ok(r.spins <= bound, `spins: ${r.spins}`);
});

test('a task that runs throughout does not make the loop park between other calls: it polls while their submitter may send more', { skip: availableParallelism() < 2 && 'one core here' }, async () => {
  const r = await run(['background', '200']);
  assert.equal(r.completed, 201 + 1);
  // A submitter waiting for a running task sends nothing until it ends, so the loop does not
  // poll for it (the test above); one answered since its last request is about to send the
  // next. Parking at every call cost a trip through the event loop each (20-90 us instead of
  // 3.5-9 here). Its backoff may skip some periods, never all: 0 before (Node), tens here.
  assert.ok(r.polls.polls >= 1, `idle periods that polled while a task ran: ${JSON.stringify(r.polls)}`);
});

// A loop that finds the next request as it is about to park takes it without a turn of its event
// loop (on one core, every call does), but not without end: a running task's 1 ms interval ticks
// ~180-190 times in 300 ms here; under a loop that never turned, the fixture never ends and the
// run's time limit fails the test.
for (const pinned of [false, true]) {
  test(`a running task's timers keep firing while another thread's blocking calls come back to back${pinned ? ', pinned to one core' : ''}`, { skip: pinned && !taskset && 'taskset not found' }, async () => {
    const r = pinned ? await pinnedRun('timers-during-calls.mjs', []) : await run([], 'timers-during-calls.mjs');
    assert.ok(r.calls > 0);
    assert.ok(r.ticks >= 3, `ticks of a 1 ms interval during 300 ms of calls: ${r.ticks} (${r.calls} calls)`);
  });
}
