import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { inlineTask } from '../dist/index.js';
import { onlyOn, withLoop } from './helpers.mjs';

// Every builtin a loop thread loads is compiled as the thread starts, before its first result
// (node:v8 pulls in streams, `performance` ten perf_hooks modules, an ESM import of node:util
// its lazy MIME and argument parsers). Those that only some paths need load at first use
// (src/builtin.ts, src/clock.ts): a loop that has run a task whose values the compact codec
// carries has loaded none of them that a bare worker does not load too. Modules, not time.
// internal/promise_hooks comes with AsyncLocalStorage's first scope on Node 20: tasks run in one
// only once someone may ask for currentSignal() (src/loop/task-context.ts).
const LAZY = ['NativeModule v8', 'NativeModule perf_hooks', 'NativeModule internal/perf/performance', 'NativeModule console', 'NativeModule internal/mime', 'NativeModule internal/promise_hooks'];

/** The modules a bare ES-module worker has loaded once it runs. */
async function bareWorkerModules() {
  const source = 'import { parentPort } from "node:worker_threads"; parentPort.postMessage(process.moduleLoadList);';
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`));
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

test('a loop thread loads no builtin that only some paths need', { timeout: 20000, skip: onlyOn('node', 'process.moduleLoadList is Node’s') }, async () => {
  const bare = await bareWorkerModules();
  await withLoop({}, async (mgr) => {
    assert.equal(await mgr.submitTask(inlineTask((a, b) => a + b, 1, 2)), 3);
    const loaded = await mgr.submitTask(inlineTask(() => process.moduleLoadList));
    assert.ok(loaded.includes('NativeModule worker_threads'), 'the list is the loop thread’s');
    assert.deepEqual(LAZY.filter((name) => loaded.includes(name) && !bare.includes(name)), []);
  });
});
