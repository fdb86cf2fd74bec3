// A thread that resolved a handle talks to the loop over BroadcastChannels, which deliver only
// to channels that exist: its first side-channel record (big or SharedArrayBuffer arguments)
// waits until the loop has connected the lane. It must go as soon as the loop listens, without
// the submitting thread having to drain the lane: it used to wait for the next drain (an
// awaiting thread parked for a second, the loop polling all the while for a record it could
// not receive), and a SyncFuture nobody waited on never started at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { getOrCreateLoopManager, inlineTask } from '../dist/index.js';
import { distUrl, fixture, tasks } from './helpers.mjs';

const workerSource = `
import { getOrCreateLoopManager, defineTasks } from ${JSON.stringify(distUrl)};
import { parentPort, workerData } from 'node:worker_threads';
const tasks = defineTasks(new URL(${JSON.stringify(fixture('tasks.mjs').href)}));
const results = [];
for (const id of workerData.ids) {
  const handle = getOrCreateLoopManager({ id, strictlyGet: true });
  const buffer = new SharedArrayBuffer(12);
  const flags = new Int32Array(buffer);
  // Fire and forget: the SharedArrayBuffer sends the task on the side channel, and this thread
  // never drains the lane; it only lets its event loop turn while it waits for the task to run.
  handle.submitTask(tasks.setFlag(buffer, 7), { returnSyncFuture: true });
  const end = Date.now() + 10000;
  while (Atomics.load(flags, 0) === 0 && Date.now() < end) {
    let timer;
    await Promise.race([Atomics.waitAsync(flags, 0, 0, 100).value, new Promise((r) => (timer = setTimeout(r, 100)))]);
    clearTimeout(timer);
  }
  results.push(Atomics.load(flags, 1));
  // And awaited, with a big argument, on the same lane afterwards.
  results.push(await handle.submitTask(tasks.echo('y'.repeat(100000))).then((s) => s.length));
}
parentPort.postMessage(results);
`;

test("a new handle's first side-channel record reaches the loop once it listens, without the submitter draining", { timeout: 30000 }, async () => {
  const ids = ['side-a', 'side-b'];
  const managers = ids.map((id) => getOrCreateLoopManager({ id }).start());
  try {
    for (const mgr of managers) await mgr.submitTask(tasks.echo(0)); // booted
    const worker = new Worker(new URL('data:text/javascript,' + encodeURIComponent(workerSource)), { workerData: { ids } });
    const results = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.deepEqual(results, [7, 100000, 7, 100000], 'each fire-and-forget task ran (7), and the big echo came back');
  } finally {
    for (const mgr of managers) await mgr[Symbol.asyncDispose]();
  }
});


// A submitter that blocks on something else right after submitting (its event loop never turns,
// and it never waits on the future) while the loop is too busy to have connected its new lane:
// the record used to wait in the submitter for its event loop, so the task never ran (the hang of
// output.test.mjs's 'thread that has exited' script). It now goes at once on the loop's lanes channel.
const blockedWorkerSource = `
import { getOrCreateLoopManager, defineTasks } from ${JSON.stringify(distUrl)};
import { parentPort, workerData } from 'node:worker_threads';
const tasks = defineTasks(new URL(${JSON.stringify(fixture('tasks.mjs').href)}));
const handle = getOrCreateLoopManager({ id: workerData.id, strictlyGet: true });
const flags = new Int32Array(workerData.flags);
handle.submitTask(tasks.setFlag(workerData.flags, 7), { returnSyncFuture: true });
parentPort.postMessage('submitted');
const end = Date.now() + 5000;
while (Atomics.load(flags, 0) === 0 && Date.now() < end) Atomics.wait(flags, 0, 0, 50);
parentPort.postMessage(Atomics.load(flags, 1));
`;

test('a side-channel record sent before the loop connected the lane reaches it while the submitter stays blocked', { timeout: 30000 }, async () => {
  const mgr = getOrCreateLoopManager({ id: 'side-blocked' }).start();
  try {
    await mgr.submitTask(tasks.echo(0)); // booted
    // Keeps the loop thread busy, so it cannot read the new lane's announcement before the submit.
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const busy = mgr.submitTask(
      inlineTask((buffer) => {
        const words = new Int32Array(buffer);
        Atomics.store(words, 1, 1);
        while (Atomics.load(words, 0) === 0) Atomics.wait(words, 0, 0, 20);
        return 'free';
      }, gate.buffer),
    );
    while (Atomics.load(gate, 1) === 0) await new Promise((r) => setTimeout(r, 5));
    const worker = new Worker(new URL('data:text/javascript,' + encodeURIComponent(blockedWorkerSource)), {
      workerData: { id: 'side-blocked', flags: new SharedArrayBuffer(12) },
    });
    const messages = [];
    const done = new Promise((resolve, reject) => {
      worker.on('message', (m) => messages.push(m) === 2 && resolve());
      worker.once('error', reject);
    });
    while (messages.length === 0) await new Promise((r) => setTimeout(r, 5));
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    assert.equal(await busy, 'free');
    await done;
    await worker.terminate();
    assert.deepEqual(messages, ['submitted', 7], 'the task ran while its submitter never returned to its event loop');
  } finally {
    await mgr[Symbol.asyncDispose]();
  }
});
