// What differs between Node, Bun and Deno, each answered the same way everywhere (docs/runtimes.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopManager, UnsupportedRuntimeError, getOrCreateLoopManager, inlineTask } from '../dist/index.js';
import { inWorker, runtime, withLoop } from './helpers.mjs';

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

test('resourceLimits.stackSizeMb works, or is refused naming the runtime where it would be ignored (Deno)', () => {
  const make = () => new LoopManager({ resourceLimits: { stackSizeMb: 2 } });
  if (runtime === 'node') return assert.equal(make().state, 'idle');
  assert.throws(make, (e) => e instanceof UnsupportedRuntimeError && e.runtime.startsWith(runtime === 'bun' ? 'Bun ' : 'Deno ') && /resourceLimits/.test(e.feature));
});

// A thread that did not start the loop has a BroadcastChannel for side channel, which Bun and
// Deno cannot read while the thread is blocked: a result too big for a ring record waited until
// the caller's timeout (or forever). It now comes through the ring in pieces there.
test('a worker blocked on another thread\'s loop gets results and errors bigger than a ring record', { timeout: 60000 }, async () => {
  const mgr = getOrCreateLoopManager({ id: 'big-results' }).start();
  try {
    const seen = await inWorker(`
      const h = getOrCreateLoopManager({ id: 'big-results', strictlyGet: true });
      const big = h.submitTask(inlineTask((n) => 'x'.repeat(n), 300000), { returnSyncFuture: true }).result(20000);
      const bytes = h.submitTask(inlineTask((n) => new Uint8Array(n).fill(7), 100000), { returnSyncFuture: true }).result(20000);
      let message = '';
      try {
        h.submitTask(inlineTask((n) => { throw new Error('y'.repeat(n)); }, 100000), { returnSyncFuture: true }).result(20000);
      } catch (e) {
        message = e.message;
      }
      const small = h.submitTask(inlineTask(() => 'after'), { returnSyncFuture: true }).result(20000);
      return { big: big.length, bytes: bytes.length, seven: bytes.every((b) => b === 7), message: message.length, small };
    `);
    assert.deepEqual(seen, { big: 300000, bytes: 100000, seven: true, message: 100000, small: 'after' });
  } finally {
    await mgr.stop();
  }
});
