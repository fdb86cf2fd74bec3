// What differs between Node, Bun and Deno, each answered the same way everywhere (docs/runtimes.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopManager, UnsupportedRuntimeError, inlineTask } from '../dist/index.js';
import { runtime, withLoop } from './helpers.mjs';

// Bun's v8.serialize takes a SharedArrayBuffer and makes a copy: the task wrote to the copy
// and the caller read 0. SharedArrayBuffers now go by postMessage, which shares them.
test('SharedArrayBuffers in arguments and results are shared, not copied, at any depth', { timeout: 30000 }, async () => {
  await withLoop({}, async (mgr) => {
    const shared = new SharedArrayBuffer(8);
    const write = inlineTask(
      (arg) => {
        new Int32Array(arg.deep.list[0].buffer)[0] = 7;
        return { back: new Map([['view', arg.deep.list[0]]]) };
      },
      { deep: { list: [new Int32Array(shared)] } },
    );
    for (const blocking of [false, true]) {
      const future = mgr.submitTask(write, { returnSyncFuture: blocking });
      const out = blocking ? future.result() : await future;
      assert.equal(new Int32Array(shared)[0], 7, 'the task wrote to the caller\'s memory');
      const view = out.back.get('view');
      assert.ok(view.buffer instanceof SharedArrayBuffer);
      view[1] = 9;
      assert.equal(new Int32Array(shared)[1], 9, 'the result is the same memory');
      new Int32Array(shared).fill(0);
    }
  });
});

test('resourceLimits work, or are refused naming the runtime where they would be ignored (Bun)', () => {
  const make = () => new LoopManager({ resourceLimits: { maxOldGenerationSizeMb: 64 } });
  if (runtime === 'bun') {
    assert.throws(make, (e) => e instanceof UnsupportedRuntimeError && e.code === 'ERR_SIDELOOP_UNSUPPORTED_RUNTIME' && /^Bun /.test(e.runtime) && /resourceLimits/.test(e.message));
  } else {
    assert.equal(make().state, 'idle');
  }
});
