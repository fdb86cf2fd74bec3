// Issue 16.3 and 11: errors recognised across copies of sideloop, futures' done(), users' own
// error classes, and the caller's frames in a task error's stack.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import * as esm from '../dist/index.js';
import { ValidationError } from './fixtures/hostile-tasks.mjs';

const { LoopManager, TaskFuture, defineTasks, registerErrorClass } = esm;
const cjs = createRequire(import.meta.url)('../dist/index.cjs');
const hostile = defineTasks(new URL('./fixtures/hostile-tasks.mjs', import.meta.url));

const names = ['TimeoutError', 'CancelledError', 'LoopCrashedError', 'TaskSerializationError', 'DeadlockError', 'NotOwnerError'];
const make = (lib, name) =>
  name === 'LoopCrashedError' ? new lib[name]('x', 1) : name === 'TaskSerializationError' ? new lib[name]('x', '.a') : new lib[name]('x');

test('errors of the ESM and CommonJS builds are instances of each other\'s classes, and only of their own kind', () => {
  assert.notEqual(esm.TimeoutError, cjs.TimeoutError, 'two copies of the classes');
  for (const [from, to] of [[esm, cjs], [cjs, esm]]) {
    for (const name of names) {
      const err = make(from, name);
      assert.ok(err instanceof to[name], `${name} of one build is a ${name} of the other`);
      assert.ok(err instanceof to.SideloopError);
      assert.ok(err instanceof Error);
      for (const other of names) if (other !== name) assert.ok(!(err instanceof to[other]), `${name} is no ${other}`);
    }
  }
});

test('errors of another installed copy of sideloop are recognised too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sideloop-copy-'));
  try {
    cpSync(new URL('../dist', import.meta.url), join(dir, 'dist'), { recursive: true });
    cpSync(new URL('../package.json', import.meta.url), join(dir, 'package.json'));
    const other = await import(pathToFileURL(join(dir, 'dist', 'index.js')).href);
    assert.notEqual(other.TimeoutError, esm.TimeoutError);
    assert.ok(new other.TimeoutError('x') instanceof esm.TimeoutError);
    assert.ok(new esm.CancelledError('x') instanceof other.SideloopError);
    assert.ok(!(new other.CancelledError('x') instanceof esm.TimeoutError));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a user\'s subclass of a sideloop error keeps the ordinary check; odd values never throw', () => {
  class MyTimeout extends esm.TimeoutError {}
  assert.ok(new MyTimeout('x') instanceof MyTimeout);
  assert.ok(new MyTimeout('x') instanceof esm.TimeoutError);
  assert.ok(new MyTimeout('x') instanceof cjs.TimeoutError);
  assert.ok(!(new esm.TimeoutError('x') instanceof MyTimeout), 'a plain TimeoutError is not the subclass');
  const hostile = new Proxy({}, { getPrototypeOf() { throw new Error('trap'); } });
  assert.equal(hostile instanceof esm.SideloopError, false);
  for (const v of [null, undefined, 1, 'TimeoutError', {}, Object.create(null), new Error('x')]) assert.equal(v instanceof esm.SideloopError, false);
});

test('futures from TaskFuture.all(), resolve() and new TaskFuture() report done() only once settled', async () => {
  let resolveLater;
  const later = new Promise((r) => (resolveLater = r));
  let resolveOwn;
  const own = new TaskFuture((r) => (resolveOwn = r));
  const all = TaskFuture.all([later]);
  const following = TaskFuture.resolve(later);
  const race = TaskFuture.race([later]);
  for (const f of [own, all, following, race]) assert.equal(f.done(), false, 'pending');
  assert.equal(TaskFuture.resolve(1).done(), true);
  const rejected = TaskFuture.reject(new Error('no'));
  rejected.catch(() => {});
  assert.equal(rejected.done(), true);
  resolveOwn(1);
  assert.equal(own.done(), true);
  resolveLater(2);
  await Promise.all([all, following, race]);
  for (const f of [all, following, race]) assert.equal(f.done(), true, 'settled');
});

test('a user\'s error class comes back as Error with its name, code and fields, or as itself once registered', { timeout: 30000 }, async () => {
  const loop = new LoopManager({ name: 'user-errors' }).start();
  try {
    const before = await loop.submitTask(hostile.throwValidation('email')).catch((e) => e);
    assert.equal(Object.getPrototypeOf(before), Error.prototype);
    assert.equal(before.name, 'ValidationError');
    assert.equal(before.code, 'E_VALIDATION');
    assert.equal(before.field, 'email');
    assert.equal(registerErrorClass(ValidationError), ValidationError);
    for (const blocking of [false, true]) {
      let after;
      try {
        const f = loop.submitTask(hostile.throwValidation('age'), { returnSyncFuture: blocking });
        if (blocking) f.result();
        else await f;
      } catch (e) {
        after = e;
      }
      assert.ok(after instanceof ValidationError, 'registered: an instance of the class');
      assert.equal(after.field, 'age');
      assert.equal(after.code, 'E_VALIDATION');
      assert.match(after.stack, /throwValidation/);
    }
    assert.throws(() => registerErrorClass(class TimeoutError extends Error {}), TypeError);
    assert.throws(() => registerErrorClass({}), TypeError);
  } finally {
    await loop.stop({ timeoutMs: 5000 });
  }
});

test('a task error thrown by result() shows the task\'s frames, then the caller\'s', { timeout: 30000 }, async () => {
  const loop = new LoopManager({ name: 'caller-frames' }).start();
  try {
    // Not a tail call: Bun's engine (JavaScriptCore) drops a frame that returns a call's value.
    function submitSiteForTheTest() {
      loop.submitTask(hostile.throwValidation('x'), { returnSyncFuture: true }).result();
      return 'unreachable';
    }
    let err;
    try {
      submitSiteForTheTest();
    } catch (e) {
      err = e;
    }
    assert.match(err.stack, /throwValidation[\s\S]*sideloop: the task's caller[\s\S]*submitSiteForTheTest/);
    // Once only, however often it is thrown.
    assert.equal(err.stack.split("task's caller").length, 2);
  } finally {
    await loop.stop({ timeoutMs: 5000 });
  }
});
