import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LoopManager,
  LoopAlreadyRunningError,
  LoopNotRunningError,
  TaskNotFoundError,
  TaskSerializationError,
  UnknownAsyncTaskError,
  defineTasks,
  getOrCreateLoopManager,
  inlineTask,
  task,
} from '../dist/index.js';
import { fixture, runtime, tasks, withLoop } from './helpers.mjs';

test('wrong LoopManager options throw TypeError or RangeError naming the option', () => {
  assert.throws(() => new LoopManager('x'), { name: 'TypeError', message: /options/ });
  assert.throws(() => new LoopManager({ id: {} }), { name: 'TypeError', message: /"id"/ });
  assert.throws(() => new LoopManager({ id: '' }), { name: 'RangeError', message: /"id"/ });
  assert.throws(() => new LoopManager({ id: NaN }), { name: 'RangeError', message: /"id"/ });
  assert.throws(() => new LoopManager({ name: 5 }), { name: 'TypeError', message: /"name"/ });
  assert.throws(() => new LoopManager({ execArgv: '--foo' }), { name: 'TypeError', message: /"execArgv"/ });
  assert.throws(() => new LoopManager({ resourceLimits: 5 }), { name: 'TypeError', message: /"resourceLimits"/ });
  assert.throws(() => new LoopManager({ taskType: 'x' }), { name: 'TypeError', message: /Unknown option "taskType"/ });
  // Ids travel as UTF-8, where a lone surrogate became U+FFFD: '\uD800' and '\uFFFD' were one manager here and two elsewhere.
  assert.throws(() => new LoopManager({ id: 'a\uD800' }), { name: 'RangeError', message: /"id".*lone surrogate/ });
  assert.throws(() => getOrCreateLoopManager({ id: '\uDC00', strictlyGet: true }), { name: 'RangeError', message: /"id".*lone surrogate/ });
});

test('wrong start, stop and submit options are named', { timeout: 20000 }, async () => {
  const mgr = new LoopManager();
  assert.throws(() => mgr.start({ taskType: 3 }), { name: 'TypeError', message: /"taskType"/ });
  assert.throws(() => mgr.start({ taskType: '' }), { name: 'RangeError', message: /"taskType"/ });
  assert.equal(mgr.state, 'idle', 'a rejected start leaves the manager as it was');
  await withLoop({}, async (loop) => {
    assert.throws(() => loop.submitTask(tasks.echo(1), { timeoutMs: -1 }), { name: 'RangeError', message: /"timeoutMs"/ });
    assert.throws(() => loop.submitTask(tasks.echo(1), { timeoutMs: '5' }), { name: 'TypeError', message: /"timeoutMs"/ });
    assert.throws(() => loop.submitTask(tasks.echo(1), { signal: {} }), { name: 'TypeError', message: /"signal"/ });
    assert.throws(() => loop.submitTask(tasks.echo(1), { returnSyncFuture: 'yes' }), { name: 'TypeError', message: /"returnSyncFuture"/ });
    assert.throws(() => loop.submitTask(tasks.echo(1), { transfer: 'x' }), { name: 'TypeError', message: /"transfer"/ });
    assert.throws(() => loop.submitTask(tasks.echo(1), { retries: 3 }), { name: 'TypeError', message: /Unknown option "retries"/ });
    assert.throws(() => loop.submitTask(() => 1), { name: 'TypeError', message: /needs a Task/ });
    const future = loop.submitTask(tasks.sleep(10, 'x'), { returnSyncFuture: true });
    assert.throws(() => future.result(-5), { name: 'RangeError', message: /"timeoutMs"/ });
    assert.equal(future.result(), 'x');
    await assert.rejects(loop.stop({ timeoutMs: 'soon' }), { name: 'TypeError', message: /"timeoutMs"/ });
    await assert.rejects(loop.stop({ cancelPending: 1 }), { name: 'TypeError', message: /"cancelPending"/ });
  });
  assert.throws(() => getOrCreateLoopManager({ forceCreate: true, strictlyGet: true }), { name: 'TypeError', message: /forceCreate.*strictlyGet/ });
  assert.throws(() => getOrCreateLoopManager({ forceCreate: 'yes' }), { name: 'TypeError', message: /"forceCreate"/ });
});

test('task makers reject modules that are not URLs or absolute paths, and bad export names', () => {
  assert.throws(() => task('./relative.js', 'x'), { name: 'TypeError', message: /URL or an absolute path/ });
  assert.throws(() => task(42, 'x'), { name: 'TypeError', message: /URL or an absolute path/ });
  assert.throws(() => task(fixture('tasks.mjs'), ''), { name: 'TypeError', message: /export name/ });
  assert.throws(() => defineTasks('tasks.mjs'), { name: 'TypeError' });
  assert.throws(() => defineTasks(fixture('tasks.mjs'), { taskType: 1 }), { name: 'TypeError', message: /"taskType"/ });
  // A misspelt taskType used to be dropped without a word, and a protected loop then refused the tasks.
  assert.throws(() => defineTasks(fixture('tasks.mjs'), { tasktype: 'render' }), { name: 'TypeError', message: /Unknown option "tasktype" for defineTasks\(\)/ });
});

test('inlineTask refuses bound and native functions with a TypeError, and explains a captured variable', { timeout: 20000 }, async () => {
  assert.throws(() => inlineTask(Math.max, 1, 2), { name: 'TypeError', message: /native/ });
  assert.throws(() => inlineTask(function f() {}.bind(null)), { name: 'TypeError', message: /bound/ });
  assert.throws(() => inlineTask(class A {}), { name: 'TypeError', message: /class/ });
  assert.throws(() => inlineTask('x => x'), { name: 'TypeError' });
  // Sources that do not compile on their own fail here, not as a SyntaxError from the loop thread.
  const odd = {
    get getter() {
      return 1;
    },
    'quoted name'() {},
    [Symbol.iterator]() {},
  };
  assert.throws(() => inlineTask(Object.getOwnPropertyDescriptor(odd, 'getter').get), { name: 'TypeError', message: /"get getter".*does not compile on its own/ });
  assert.throws(() => inlineTask(odd['quoted name']), { name: 'TypeError', message: /does not compile on its own/ });
  assert.throws(() => inlineTask(odd[Symbol.iterator]), { name: 'TypeError', message: /does not compile on its own/ });
  const captured = 41;
  await withLoop({}, async (mgr) => {
    await assert.rejects(mgr.submitTask(inlineTask(() => captured + 1)), (err) =>
      err instanceof ReferenceError && /captured is not defined/.test(err.message) && /cannot see variables/.test(err.message),
    );
    const obj = { double(x) { return x * 2; } };
    assert.equal(await mgr.submitTask(inlineTask(obj.double, 21)), 42, 'method shorthand compiles');
  });
});

test('a missing module or export gives TaskNotFoundError naming it', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    const missing = defineTasks(fixture('does-not-exist.mjs'));
    await assert.rejects(mgr.submitTask(missing.anything()), (err) => err instanceof TaskNotFoundError && /does-not-exist\.mjs/.test(err.message));
    await assert.rejects(mgr.submitTask(tasks.noSuchExport()), (err) => err instanceof TaskNotFoundError && /noSuchExport/.test(err.message));
    await assert.rejects(mgr.submitTask(tasks.notAFunction()), (err) => err instanceof TaskNotFoundError && /notAFunction/.test(err.message));
    assert.equal(await mgr.submitTask(tasks.echo('loop still fine')), 'loop still fine');
  });
});

test('a task module that is there but imports something that is not fails with Node\'s error naming what is missing, not TaskNotFoundError', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    const err = await mgr.submitTask(defineTasks(fixture('missing-dependency.mjs')).never()).catch((e) => e);
    assert.ok(!(err instanceof TaskNotFoundError), `the task module exists: ${err.stack}`);
    assert.match(err.message, /sideloop-test-no-such-package/);
    assert.match(err.message, /missing-dependency\.mjs/, 'names the module that imports it');
  });
});

test('a task module at a URL the module loader cannot read fails with an error naming the scheme, on every runtime', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    const err = await mgr.submitTask(defineTasks(new URL('ftp://example.invalid/tasks.mjs')).anything()).catch((e) => e);
    if (runtime === 'deno') {
      // Deno's loader refuses it as a module it cannot find, which sideloop reports as such.
      assert.ok(err instanceof TaskNotFoundError && /Unsupported scheme/.test(err.cause?.message), err.stack);
    } else {
      // Bun's own error would be "Cannot find package 'ftp:'" (and for https: URLs, ENOENT reading the URL).
      assert.equal(err.code, 'ERR_UNSUPPORTED_ESM_URL_SCHEME', err.stack);
      assert.match(err.message, /Received protocol 'ftp:'/);
    }
    assert.equal(await mgr.submitTask(tasks.echo('loop still fine')), 'loop still fine');
  });
});

test('uncloneable arguments fail at submit, uncloneable results reject, both naming the path', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    const before = mgr.stats();
    assert.throws(
      () => mgr.submitTask(tasks.echo({ user: { name: 'a', callback: () => {} } })),
      (err) => err instanceof TaskSerializationError && err.path === '[0].user.callback' && /echo/.test(err.message),
    );
    assert.throws(() => mgr.submitTask(tasks.echo(Symbol('s'))), TaskSerializationError);
    assert.equal(mgr.stats().pending, before.pending, 'nothing was queued');
    await assert.rejects(mgr.submitTask(tasks.uncloneableResult()), (err) =>
      err instanceof TaskSerializationError && err.path === '.nested.fn' && /uncloneableResult/.test(err.message),
    );
    assert.equal(await mgr.submitTask(tasks.echo('after')), 'after');
  });
});

test('submitting to a loop that is not running throws LoopNotRunningError; starting twice LoopAlreadyRunningError', { timeout: 20000 }, async () => {
  const mgr = new LoopManager({ name: 'lifecycle' });
  assert.throws(() => mgr.submitTask(tasks.echo(1)), (err) => err instanceof LoopNotRunningError && /lifecycle/.test(err.message) && /idle/.test(err.message));
  assert.throws(() => mgr.getEventLoop(), LoopNotRunningError);
  mgr.start();
  assert.throws(() => mgr.start(), LoopAlreadyRunningError);
  await mgr.stop();
  assert.throws(() => mgr.submitTask(tasks.echo(1), { returnSyncFuture: true }), /stopped/);
  assert.throws(() => mgr.getEventLoop(), LoopNotRunningError);
  await mgr.stop(); // stopping a stopped loop is fine
});

test('a protected loop rejects other task types at submit, and in the loop thread too', { timeout: 20000 }, async () => {
  await withLoop({ taskType: 'render' }, async (mgr) => {
    const render = defineTasks(fixture('tasks.mjs'), { taskType: 'render' });
    const update = defineTasks(fixture('tasks.mjs'), { taskType: 'update' });
    assert.equal(await mgr.submitTask(render.echo('ok')), 'ok');
    assert.equal(await mgr.submitTask(tasks.echo('typed by option'), { taskType: 'render' }), 'typed by option');
    assert.throws(() => mgr.submitTask(update.echo(1)), (err) => err instanceof UnknownAsyncTaskError && err.givenType === 'update' && err.expectedType === 'render');
    assert.throws(() => mgr.submitTask(tasks.echo(1)), (err) => err instanceof UnknownAsyncTaskError && err.givenType === null);
    assert.throws(() => mgr.submitTask(render.echo(1), { taskType: 'update' }), UnknownAsyncTaskError, 'the option overrides the task');
    // Get past the submit-side check (as a stale or foreign copy might): the loop thread refuses too.
    mgr.runView().taskType = null;
    await assert.rejects(mgr.submitTask(update.echo(1)), (err) => err instanceof UnknownAsyncTaskError && err.givenType === 'update' && err.expectedType === 'render');
  });
});
