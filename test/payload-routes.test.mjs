// Issue 13: values too big for the compact codec travel by postMessage as they are
// (src/channel/payload-route.ts), in a message of their own ahead of their record
// (src/channel/side-records.ts). What comes back is still exactly structuredClone's copy,
// a value postMessage refuses still names its culprit, and a value the receiving thread
// cannot read fails its own call only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopManager, TaskSerializationError, defineTasks } from '../dist/index.js';
import { skipOn } from './helpers.mjs';

const tasks = defineTasks(new URL('./fixtures/payload-tasks.mjs', import.meta.url));
const clone = defineTasks(new URL('./fixtures/clone-tasks.mjs', import.meta.url));

/** { a: { a: ... { end: true } } }, `depth` levels, each padded: deeper than a small stack reads. */
function deep(depth) {
  let v = { end: true };
  for (let i = 0; i < depth; i++) v = { a: v, pad: 'xxxxxxxx' };
  return v;
}

async function withLoop(options, fn) {
  const loop = new LoopManager(options).start();
  try {
    return await fn(loop);
  } finally {
    await loop.stop({ timeoutMs: 5000 });
  }
}

async function outcome(loop, task, blocking) {
  try {
    const future = loop.submitTask(task, { returnSyncFuture: blocking });
    return { value: blocking ? future.result(20000) : await future };
  } catch (error) {
    return { error };
  }
}

const wide = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key${i}`, i % 2 ? `v${i}` : i]));
const recordsHere = (n) => {
  const items = [];
  for (let i = 0; i < n; i++) items.push({ id: i, name: `item-${i}`, score: i * 1.5, tags: ['a', `t${i % 7}`], owner: { id: i % 97 } });
  return { kind: 'list', total: n, items };
};

test('big plain objects and arrays come back as structuredClone gives them, both ways, blocking and awaited', { timeout: 60000 }, async () => {
  await withLoop({ name: 'routes' }, async (loop) => {
    const shared = { s: 1 };
    const values = [wide(16), wide(64), wide(600), recordsHere(40), recordsHere(3000), Array.from({ length: 300 }, (_, i) => i * 0.5), { list: [shared, shared], big: wide(40), when: new Date(5), m: new Map([[1, wide(20)]]) }];
    for (const value of values) {
      for (const blocking of [true, false]) {
        const { value: back } = await outcome(loop, clone.echo(value), blocking);
        assert.deepStrictEqual(back, structuredClone(value));
      }
    }
    const echoed = await loop.submitTask(clone.echo(values[6]));
    assert.equal(echoed.list[0], echoed.list[1], 'shared references stay shared');
    for (const n of [10, 40, 3000]) {
      assert.deepStrictEqual(loop.submitTask(tasks.records(n), { returnSyncFuture: true }).result(), recordsHere(n));
      assert.deepStrictEqual(await loop.submitTask(tasks.records(n)), recordsHere(n));
    }
  });
});

test('strings of a mebibyte and more arrive equal, as arguments and results, blocking and awaited, Latin-1 or not', { timeout: 60000 }, async () => {
  const MiB = 1 << 20;
  const latin1 = `${'y'.repeat(2 * MiB)}\u00e9\u00ff\u0000`; // V8 stores one byte per character: these travel as bytes
  const wide = 'ab\u4e00'.repeat(MiB / 2); // two bytes per character
  const wideLatin1 = `${'\u00e9'.repeat(MiB + 10)}\u4e00`.slice(0, MiB + 10); // stored two bytes wide, every character Latin-1
  const lateWide = `${'x'.repeat(MiB)}\u{1F600}`; // one character past Latin-1, at the end
  await withLoop({ name: 'big strings' }, async (loop) => {
    for (const value of [latin1, wide, wideLatin1, lateWide]) {
      for (const blocking of [true, false]) {
        const { value: back, error } = await outcome(loop, clone.echo(value), blocking);
        assert.equal(error, undefined);
        assert.ok(back === value, `${value.length} characters come back equal (${blocking ? 'blocking' : 'awaited'})`);
      }
    }
    // Several in one argument list, beside other values and a transfer list of the caller's own.
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const args = [latin1, 1, wide, latin1.slice(1), { s: 'x' }, buffer];
    const back = loop.submitTask(tasks.all(...args), { transfer: [buffer], returnSyncFuture: true }).result(20000);
    assert.equal(buffer.byteLength, 0, 'the transfer list still transfers');
    assert.deepStrictEqual(back.slice(0, 5), args.slice(0, 5));
    assert.deepStrictEqual([...new Uint8Array(back[5])], [1, 2, 3]);
  });
});

test('a big value is copied when it is submitted: later changes do not reach the loop', { timeout: 30000 }, async () => {
  await withLoop({ name: 'routes-copy' }, async (loop) => {
    const value = wide(600);
    const pending = loop.submitTask(tasks.keys(value));
    for (let i = 0; i < 100; i++) value[`added${i}`] = i;
    assert.equal(await pending, 600);
  });
});

test('a big value holding a function fails with TaskSerializationError naming it, as arguments and as a result', { timeout: 30000 }, async () => {
  await withLoop({ name: 'routes-refused' }, async (loop) => {
    for (const blocking of [true, false]) {
      const arg = recordsHere(300);
      arg.items[299].callback = () => 0;
      const refused = await outcome(loop, clone.echo(arg), blocking);
      assert.ok(refused.error instanceof TaskSerializationError, String(refused.error));
      assert.match(refused.error.message, /\[0\]\.items\[299\]\.callback/);
      const { error } = await outcome(loop, tasks.recordsWithFunction(300), blocking);
      assert.ok(error instanceof TaskSerializationError, String(error));
      assert.match(error.message, /\.items\[299\]\.callback/);
      assert.equal(await loop.submitTask(clone.echo('after')), 'after');
    }
  });
});

// The loop needs a smaller stack than the main thread. Bun ignores resourceLimits (sideloop refuses
// them there), and its loop thread reads every depth its main thread writes (measured to 30000
// levels; at 40000 the writer already fails with TaskSerializationError). Deno ignores a Worker's
// stackSizeMb (refused there too: runtimes.test.mjs), so its loop thread reads what the main thread writes.
const sameStacks = skipOn({
  bun: "needs resourceLimits.stackSizeMb, which Bun ignores: its loop thread reads all its main thread writes",
  deno: "needs resourceLimits.stackSizeMb, which Deno's Worker ignores (refused with UnsupportedRuntimeError)",
});

test('arguments the loop thread cannot read (too deep for its stack) fail their own call; the loop goes on', { timeout: 60000, skip: sameStacks }, async () => {
  // A loop with a 1 MiB stack reads ~1000 levels but not 2500; the main thread writes them.
  await withLoop({ name: 'routes-deep', resourceLimits: { stackSizeMb: 1 } }, async (loop) => {
    // Beside a big string (it went on the side channel before too), and alone (too big for the compact codec).
    for (const args of [[deep(2500), 'x'.repeat(20000)], [deep(2500)]]) {
      for (const blocking of [true, false]) {
        const bystander = loop.submitTask(clone.echo('bystander'));
        const { error } = await outcome(loop, clone.echo(...args), blocking);
        assert.ok(error instanceof TaskSerializationError, `${blocking ? 'blocking' : 'awaited'}: ${error?.stack}`);
        assert.equal(await bystander, 'bystander');
        assert.equal(loop.submitTask(clone.echo(1), { returnSyncFuture: true }).result(5000), 1);
      }
    }
    assert.equal(loop.state, 'running');
  });
});
