import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { inlineTask } from '../dist/index.js';
import { distUrl, fixture, onlyOn, runScript, withLoop } from './helpers.mjs';

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

// Node 20 caches no ES module's compiled code: a loop thread compiles loop-thread.cjs with the V8
// code cache that an earlier loop thread of the same owner thread made (src/loop/cached-entry.ts),
// posted at its exit or once it had run a while (one thread at a time makes it: a loop started
// meanwhile starts from loop-thread.js). Its task modules and inline tasks import as before.
test('a loop thread compiles from the code cache an earlier one made, and still imports modules', { timeout: 30000, skip: onlyOn('node', 'the code cache is V8’s, given through Node’s vm') }, async () => {
  const { code, stdout, stderr } = await runScript(
    `
import { LoopManager, defineTasks, inlineTask } from ${JSON.stringify(distUrl)};
import { Worker, isMainThread } from 'node:worker_threads';
const tasks = defineTasks(${JSON.stringify(fixture('tasks.mjs').href)});
const sep = inlineTask(async () => (await import('node:path')).sep);
const run = async (mgr) => console.log(await mgr.submitTask(tasks.add(1, 2)), await mgr.submitTask(sep));
if (isMainThread) {
  // The first loop's cache comes at its exit.
  for (const name of ['first', 'second']) {
    const mgr = new LoopManager({ name }).start();
    await run(mgr);
    await mgr.stop();
  }
  // A thread keeps its own caches: in a worker, a loop that runs on makes one while it runs.
  await new Promise((resolve, reject) => new Worker(new URL(import.meta.url)).on('exit', resolve).on('error', reject));
} else {
  const long = new LoopManager({ name: 'long' }).start();
  // Started while 'long' makes the cache: it has nothing to compile from, and starts as on Bun.
  const early = new LoopManager({ name: 'early' }).start();
  await run(long);
  await run(early);
  await new Promise((r) => setTimeout(r, 600));
  const beside = new LoopManager({ name: 'beside' }).start();
  await run(beside);
  await Promise.all([long.stop(), early.stop(), beside.stop()]);
}
`,
    { env: { NODE_DEBUG: 'sideloop' } },
  );
  assert.equal(code, 0, stderr);
  assert.deepEqual(stdout.trim().split('\n'), Array(5).fill('3 /'));
  const compiled = Object.fromEntries([...stderr.matchAll(/loop thread (\w+): compiled (.*)/g)].map((m) => [m[1], m[2]]));
  assert.deepEqual(compiled, { first: 'without a code cache', second: 'from the code cache', long: 'without a code cache', beside: 'from the code cache' });
  assert.doesNotMatch(stderr, /Warning/);
});
