import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inlineTask } from '../dist/index.js';
import { onlyOn, withLoop } from './helpers.mjs';

// Every builtin a loop thread loads is compiled as the thread starts, before its first result
// (node:v8 pulls in streams, `performance` ten perf_hooks modules, an ESM import of node:util
// its lazy MIME and argument parsers). Those that only some paths
// need load at first use (src/builtin.ts, src/clock.ts): a loop that has run a task whose
// values the compact codec carries has not loaded them. Modules, not milliseconds.
const LAZY = ['NativeModule v8', 'NativeModule perf_hooks', 'NativeModule internal/perf/performance', 'NativeModule console', 'NativeModule internal/mime'];

test('a loop thread loads no builtin that only some paths need', { timeout: 20000, skip: onlyOn('node', 'process.moduleLoadList is Node’s') }, async () => {
  await withLoop({}, async (mgr) => {
    assert.equal(await mgr.submitTask(inlineTask((a, b) => a + b, 1, 2)), 3);
    const loaded = await mgr.submitTask(inlineTask(() => process.moduleLoadList));
    assert.ok(loaded.includes('NativeModule worker_threads'), 'the list is the loop thread’s');
    assert.deepEqual(LAZY.filter((name) => loaded.includes(name)), []);
  });
});
