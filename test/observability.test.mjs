// Observability: diagnostics_channel channels for task submit, start, end and error
// (src/diagnostics.ts), and NODE_DEBUG=sideloop lines for loop starts, stops and crashes, lanes
// connecting and slow calls (src/debug.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { Worker } from 'node:worker_threads';
import { threadId } from 'node:worker_threads';
import { LoopManager, inlineTask, CancelledError } from '../dist/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distUrl, runScript, tasks, withLoop } from './helpers.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'sideloop-observe-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

/** Subscribes to the submitter's channels for the duration of `fn`, collecting [channel, message]. */
async function collecting(fn) {
  const seen = [];
  const names = ['submit', 'end', 'error'];
  const handlers = names.map((n) => [`sideloop:task:${n}`, (message) => seen.push([n, message])]);
  for (const [name, h] of handlers) diagnosticsChannel.subscribe(name, h);
  try {
    await fn();
  } finally {
    for (const [name, h] of handlers) diagnosticsChannel.unsubscribe(name, h);
  }
  return seen;
}

test('submit, end and error are published in the submitting thread, one task object per call', { timeout: 30000 }, async () => {
  await withLoop({ name: 'traced' }, async (loop) => {
    const seen = await collecting(async () => {
      assert.equal(loop.submitTask(tasks.echo(7), { returnSyncFuture: true }).result(), 7);
      await assert.rejects(loop.submitTask(inlineTask(async () => { throw new RangeError('no'); })), RangeError);
      const pending = loop.submitTask(inlineTask(() => new Promise(() => {})));
      pending.cancel();
      await assert.rejects(pending, CancelledError);
    });
    assert.deepEqual(seen.map(([n]) => n), ['submit', 'end', 'submit', 'error', 'submit', 'error']);
    const [submit, end] = [seen[0][1], seen[1][1]];
    assert.equal(submit.task, end.task, 'end carries the same task object as submit');
    assert.deepEqual(submit.task, { loop: 'traced', label: tasks.echo(7).label, threadId, callId: submit.task.callId, taskType: null, sync: true });
    assert.equal(end.result, 7);
    assert.equal(seen[3][1].error.name, 'RangeError');
    assert.equal(seen[3][1].task.sync, false);
    assert.equal(seen[5][1].error.name, 'CancelledError');
  });
});

test('a loop crash reaches the error channel of the submitting thread', { timeout: 30000 }, async () => {
  const loop = new LoopManager({ name: 'crashing' }).start();
  try {
    const seen = await collecting(async () => {
      assert.throws(() => loop.submitTask(inlineTask(async () => process.exit(3)), { returnSyncFuture: true }).result(), { name: 'LoopCrashedError' });
    });
    assert.deepEqual(seen.map(([n, m]) => [n, m.error?.name]), [['submit', undefined], ['error', 'LoopCrashedError']]);
  } finally {
    await loop[Symbol.asyncDispose]();
  }
});

test('start is published in the loop thread, naming the submitting thread and call', { timeout: 30000 }, async () => {
  await withLoop({ id: 'traced-start', name: 'traced-start' }, async (loop) => {
    // A task subscribes in the loop thread itself (a subscriber loaded with --import would too).
    loop
      .submitTask(inlineTask(async () => {
          const dc = await import('node:diagnostics_channel');
          globalThis.starts = [];
          dc.subscribe('sideloop:task:start', ({ task }) => globalThis.starts.push(task));
        }), { returnSyncFuture: true })
      .result();
    let mainCall;
    await collecting(async () => {
      loop.submitTask(tasks.echo(1), { returnSyncFuture: true }).result();
    }).then((seen) => (mainCall = seen[0][1].task.callId));
    // A file, not an eval'd module worker: Deno runs only the former.
    const file = join(scratch, 'start-worker.mjs');
    writeFileSync(
      file,
      `import { getOrCreateLoopManager } from ${JSON.stringify(distUrl)};
import { tasks } from ${JSON.stringify(new URL('./helpers.mjs', import.meta.url).href)};
getOrCreateLoopManager({ id: 'traced-start', strictlyGet: true }).submitTask(tasks.echo(2), { returnSyncFuture: true }).result();`,
    );
    const workerThread = await new Promise((resolve, reject) => {
      const w = new Worker(pathToFileURL(file));
      const id = w.threadId; // -1 once it has exited
      w.on('error', reject).on('exit', () => resolve(id));
    });
    const starts = loop.submitTask(inlineTask(async () => globalThis.starts), { returnSyncFuture: true }).result();
    const label = tasks.echo(1).label;
    assert.deepEqual(starts.slice(0, 2), [
      { loop: 'traced-start', label, threadId, callId: mainCall },
      { loop: 'traced-start', label, threadId: workerThread, callId: starts[1].callId },
    ]);
    assert.equal(starts.length, 3, 'and the task that read them');
  });
});

test('NODE_DEBUG=sideloop prints loop start, lanes, slow calls, crash and stop', { timeout: 30000 }, async () => {
  const worker = join(scratch, 'debug-worker.mjs');
  writeFileSync(
    worker,
    `import { getOrCreateLoopManager, inlineTask } from ${JSON.stringify(distUrl)};
getOrCreateLoopManager({ id: 'io', strictlyGet: true }).submitTask(inlineTask(async () => 2), { returnSyncFuture: true }).result();`,
  );
  const { code, stderr } = await runScript(
    `
import { LoopManager, getOrCreateLoopManager, inlineTask } from ${JSON.stringify(distUrl)};
import { Worker } from 'node:worker_threads';
const loop = new LoopManager({ id: 'io', name: 'io' }).start();
loop.submitTask(inlineTask(async () => { await new Promise((r) => setTimeout(r, 60)); }), { returnSyncFuture: true }).result();
await new Promise((resolve) => new Worker(new URL(${JSON.stringify(pathToFileURL(worker).href)})).on('exit', resolve));
const crashy = new LoopManager({ name: 'crashy' }).start();
try { crashy.submitTask(inlineTask(async () => process.exit(3)), { returnSyncFuture: true }).result(); } catch {}
await crashy.stop();
await loop.stop();
`,
    { env: { NODE_DEBUG: 'sideloop', SIDELOOP_SLOW_MS: '30' } },
  );
  assert.equal(code, 0, stderr);
  for (const line of [
    /SIDELOOP \d+: started loop io/,
    /SIDELOOP \d+: loop io: running on thread \d+, [\d.]+ ms after its start\(\)/,
    /SIDELOOP \d+: loop io: a lane from thread 0 connected \(1 lanes\)/,
    /SIDELOOP \d+: loop io: a lane from thread \d+ connected \(2 lanes\)/,
    /SIDELOOP \d+: thread \d+ connected a lane to loop io/,
    /SIDELOOP \d+: loop io: slow task: inline task "\(anonymous\)" returned after [\d.]+ ms \(thread 0, call \d+\)/,
    /SIDELOOP \d+: thread 0 blocked [\d.]+ ms in result\(\) on inline task "\(anonymous\)" \(settled\)/,
    /SIDELOOP \d+: loop crashy: its thread is exiting with code 3/,
    /SIDELOOP \d+: loop crashy crashed: its thread exited with code 3/,
    /SIDELOOP \d+: loop io: stopped, its thread exits/,
    /SIDELOOP \d+: loop io stopped: its thread exited with code 0/,
  ]) {
    assert.match(stderr, line);
  }
});

test('without NODE_DEBUG nothing is printed', { timeout: 30000 }, async () => {
  const { code, stderr } = await runScript(
    `import { LoopManager, inlineTask } from ${JSON.stringify(distUrl)};
const loop = new LoopManager().start();
loop.submitTask(inlineTask(async () => { await new Promise((r) => setTimeout(r, 20)); }), { returnSyncFuture: true }).result();
await loop.stop();`,
    { env: { NODE_DEBUG: '', SIDELOOP_SLOW_MS: '0' } },
  );
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
});
