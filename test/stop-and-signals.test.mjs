// What stop() does with a task that never settles, and what a thread blocked in result() does
// with SIGINT (its JavaScript handlers cannot run while it is blocked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, LoopManager, defineTasks } from '../dist/index.js';
import { distUrl, fixture, onlyOn, waitForCount } from './helpers.mjs';
import { spawnWithTimeout } from './spawn.mjs';

const tasks = defineTasks(fixture('stop-tasks.mjs'));

test('stop() without options does not wait forever for a task that never settles: it is cancelled after the default 10 s', { timeout: 60000 }, async () => {
  const loop = new LoopManager({ name: 'never' }).start();
  const flags = new SharedArrayBuffer(8);
  const never = loop.submitTask(tasks.ignoresEverything(flags));
  const rejected = assert.rejects(never, CancelledError);
  assert.ok(await waitForCount(new Int32Array(flags), 0, 1), 'the task started');
  await loop.stop(); // before: never resolved
  assert.equal(loop.state, 'stopped');
  await rejected;
});

test('when stop({ timeoutMs }) runs out, running tasks are cancelled first: one that listens to its signal cleans up', { timeout: 30000 }, async () => {
  const loop = new LoopManager({ name: 'cooperative' }).start();
  const flags = new SharedArrayBuffer(8);
  const words = new Int32Array(flags);
  const future = loop.submitTask(tasks.neverSettles(flags));
  const rejected = assert.rejects(future, (err) => err instanceof CancelledError && /is stopping/.test(err.message));
  const blocked = loop.submitTask(tasks.neverSettles(flags), { returnSyncFuture: true });
  assert.ok(await waitForCount(words, 0, 2), 'both tasks started');
  await loop.stop({ timeoutMs: 200 });
  assert.equal(loop.state, 'stopped');
  await rejected;
  assert.throws(() => blocked.result(), CancelledError);
  // Before, the thread was terminated at the timeout: the tasks' abort listeners never ran.
  assert.equal(Atomics.load(words, 1), 1, "the tasks' abort listeners ran in the loop thread");
});

test('stop({ timeoutMs: Infinity }) waits for as long as a task takes', { timeout: 30000 }, async () => {
  const loop = new LoopManager({ name: 'patient' }).start();
  const running = loop.submitTask(tasks.announceThenSleep('patient task', 300));
  await loop.stop({ timeoutMs: Infinity });
  assert.equal(await running, 'slept');
});

/** Runs `source` as a child script; calls `onLine(line, child)` for each stdout line. */
function runChild(source, onLine, timeoutMs = 20000) {
  const dir = mkdtempSync(join(tmpdir(), 'sideloop-signal-'));
  const file = join(dir, 'script.mjs');
  writeFileSync(file, source);
  let pending = '';
  const onStdout = (chunk, child) => {
    pending += chunk;
    let at;
    while ((at = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, at), child);
      pending = pending.slice(at + 1);
    }
  };
  return spawnWithTimeout(process.execPath, [file], { timeoutMs, onStdout }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const blockedScript = (before, ms) => `
import { LoopManager, defineTasks } from ${JSON.stringify(distUrl)};
const tasks = defineTasks(new URL(${JSON.stringify(fixture('stop-tasks.mjs').href)}));
${before}
const loop = new LoopManager().start();
const value = loop.submitTask(tasks.announceThenSleep('blocked', ${ms}), { returnSyncFuture: true }).result();
console.log('returned ' + value);
`;

const nodeSignals = onlyOn('node', "about Node's signal handling");

test('SIGINT to a thread blocked in result(), with no SIGINT listener: the process ends at once, as Node does', { timeout: 30000, skip: nodeSignals }, async () => {
  // The task sleeps 60 s, longer than the child may live: it must end by the signal, not by the task.
  const out = await runChild(blockedScript('', 60000), (line, child) => {
    if (line === 'blocked') child.kill('SIGINT');
  });
  assert.equal(out.signal, 'SIGINT', JSON.stringify(out));
  assert.equal(out.stdout, 'blocked\n');
});

test('SIGINT with a listener: the listener runs once result() returns and the event loop turns; the signal is not lost', { timeout: 30000, skip: nodeSignals }, async () => {
  const out = await runChild(
    blockedScript("process.on('SIGINT', () => { console.log('handled'); process.exit(0); }); setInterval(() => {}, 1000);", 2000),
    (line, child) => {
      if (line === 'blocked') child.kill('SIGINT');
    },
  );
  assert.equal(out.code, 0, JSON.stringify(out));
  assert.equal(out.stdout, 'blocked\nreturned slept\nhandled\n');
});
