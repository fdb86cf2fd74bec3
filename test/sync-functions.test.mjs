// The one-liner: syncModule and syncFunction, on real loop threads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  DEFAULT_LOOP_ID,
  LoopManager,
  TaskNotFoundError,
  TimeoutError,
  UnknownAsyncTaskError,
  getOrCreateLoopManager,
  syncFunction,
  syncModule,
} from '../dist/index.js';
import { distUrl, fixture, fixturePath, runScript, withLoop } from './helpers.mjs';

test('syncModule: plain calls on the default loop, started at the first call', async () => {
  const mod = syncModule(fixture('tasks.mjs'));
  assert.equal(mod.add(1, 2), 3);
  assert.equal(mod.add, mod.add, 'functions are made once');
  assert.deepEqual(mod.echo({ a: [1, 2n] }), { a: [1, 2n] });
  const loop = getOrCreateLoopManager();
  assert.equal(loop.id, DEFAULT_LOOP_ID);
  assert.equal(loop.isRunning, true);
  assert.equal(mod.whereAmI(), loop.getEventLoop().threadId);
  assert.equal(mod.then, undefined, 'not a thenable');
  await loop.stop();
  // Stopped by its owner: the next call starts it again.
  assert.equal(mod.add(2, 3), 5);
  await loop.stop();
});

test('syncModule: errors come back as thrown errors, with their class', async () => {
  const mod = syncModule(fixturePath('tasks.mjs'));
  assert.throws(() => mod.throwRich(), (err) => err instanceof Error && err.message.length > 0);
  assert.throws(() => mod.nope(), TaskNotFoundError);
  assert.throws(() => mod.notAFunction(), TaskNotFoundError);
  assert.throws(() => syncModule('./relative.js'), TypeError);
  assert.throws(() => syncModule(fixture('tasks.mjs'), { bogus: 1 }), /Unknown option "bogus"/);
  assert.throws(() => syncModule(fixture('tasks.mjs'), { loop: {} }), /"loop" option/);
  await getOrCreateLoopManager().stop();
});

test('syncModule: a loop of the caller\'s choice, by manager or by id', async () => {
  await withLoop({ id: 'one-liner-a' }, async (manager) => {
    const byManager = syncModule(fixture('tasks.mjs'), { loop: manager });
    const byId = syncModule(fixture('tasks.mjs'), { loop: 'one-liner-a' });
    const threadOfLoop = manager.getEventLoop().threadId;
    assert.equal(byManager.whereAmI(), threadOfLoop);
    assert.equal(byId.whereAmI(), threadOfLoop);
  });
  // A manager given by the caller is not started for them.
  const idle = new LoopManager({ id: 'one-liner-idle' });
  assert.throws(() => syncModule(fixture('tasks.mjs'), { loop: idle }).add(1, 1), { name: 'LoopNotRunningError' });
  await idle[Symbol.asyncDispose]();
});

test('syncModule: taskType and timeoutMs', async () => {
  await withLoop({ id: 'one-liner-typed', taskType: 'io' }, async () => {
    assert.equal(syncModule(fixture('tasks.mjs'), { loop: 'one-liner-typed', taskType: 'io' }).add(1, 1), 2);
    assert.throws(() => syncModule(fixture('tasks.mjs'), { loop: 'one-liner-typed' }).add(1, 1), UnknownAsyncTaskError);
  });
  await withLoop({ id: 'one-liner-timeout' }, async () => {
    // Warm up first: a timeout counts from the submit, the loop's boot and the module's load included.
    assert.equal(syncModule(fixture('tasks.mjs'), { loop: 'one-liner-timeout' }).add(1, 1), 2);
    const mod = syncModule(fixture('tasks.mjs'), { loop: 'one-liner-timeout', timeoutMs: 200 });
    assert.throws(() => mod.waitForAbort(), TimeoutError);
    // A timed-out call leaves the next ones alone.
    assert.equal(mod.add(2, 2), 4);
  });
});

test('syncFunction: one self-contained function', async () => {
  const double = syncFunction(async (x) => x * 2);
  assert.equal(double(21), 42);
  const readSelf = syncFunction(async (path) => {
    const { readFile } = await import('node:fs/promises');
    return (await readFile(path, 'utf8')).includes('syncFunction: one self-contained function');
  });
  assert.equal(readSelf(new URL(import.meta.url).pathname), true);
  const outer = 5;
  const leaky = syncFunction(() => outer);
  assert.throws(() => leaky(), (err) => err instanceof ReferenceError && /cannot see variables/.test(err.message));
  assert.throws(() => syncFunction(Math.max), TypeError);
  await getOrCreateLoopManager().stop();
});

test('a worker thread calls through its parent\'s default loop (lineage)', async () => {
  const loop = getOrCreateLoopManager().start();
  const expected = loop.getEventLoop().threadId;
  const source = `
    import { parentPort } from 'node:worker_threads';
    import { syncModule } from ${JSON.stringify(distUrl)};
    const mod = syncModule(${JSON.stringify(fixture('tasks.mjs').href)});
    parentPort.postMessage({ sum: mod.add(20, 22), loopThread: mod.whereAmI() });
  `;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`));
  const answer = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await new Promise((r) => worker.once('exit', r));
  assert.deepEqual(answer, { sum: 42, loopThread: expected });
  await loop.stop();
});

test('a script that uses the one-liner exits by itself', async () => {
  const { code, stdout, stderr } = await runScript(`
    import { syncFunction } from ${JSON.stringify(distUrl)};
    console.log(syncFunction(async (a, b) => a + b)(40, 2));
  `);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  assert.equal(stdout.trim(), '42');
});
