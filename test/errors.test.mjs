import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sideloop from '../dist/index.js';
import { tasks, withLoop } from './helpers.mjs';

const errorClasses = [
  ['ManagerNotFound', 'ERR_SIDELOOP_MANAGER_NOT_FOUND'],
  ['UnknownAsyncTaskError', 'ERR_SIDELOOP_UNKNOWN_TASK_TYPE'],
  ['LoopNotRunningError', 'ERR_SIDELOOP_LOOP_NOT_RUNNING'],
  ['LoopAlreadyRunningError', 'ERR_SIDELOOP_LOOP_ALREADY_RUNNING'],
  ['NotOwnerError', 'ERR_SIDELOOP_NOT_OWNER'],
  ['DeadlockError', 'ERR_SIDELOOP_DEADLOCK'],
  ['TimeoutError', 'ERR_SIDELOOP_TIMEOUT'],
  ['CancelledError', 'ERR_SIDELOOP_CANCELLED'],
  ['LoopCrashedError', 'ERR_SIDELOOP_LOOP_CRASHED'],
  ['TaskNotFoundError', 'ERR_SIDELOOP_TASK_NOT_FOUND'],
  ['TaskSerializationError', 'ERR_SIDELOOP_SERIALIZATION'],
  ['LoopEntryLoadError', 'ERR_SIDELOOP_LOOP_ENTRY_LOAD'],
];

test('every error class is exported, a SideloopError and an Error, with a stable name and code', () => {
  for (const [name, code] of errorClasses) {
    const Cls = sideloop[name];
    assert.equal(typeof Cls, 'function', name);
    const err =
      name === 'UnknownAsyncTaskError' ? new Cls('given', 'expected')
      : name === 'ManagerNotFound' ? new Cls('id', [1, 0])
      : name === 'LoopCrashedError' ? new Cls('crashed', 1)
      : name === 'TaskSerializationError' ? new Cls('bad', '.x')
      : new Cls('message');
    assert.ok(err instanceof sideloop.SideloopError, name);
    assert.ok(err instanceof Error, name);
    assert.equal(err.name, name);
    assert.equal(err.code, code);
  }
});

test('UnknownAsyncTaskError is built like its Python original and keeps both types', () => {
  const err = new sideloop.UnknownAsyncTaskError('render', 'update');
  assert.equal(err.givenType, 'render');
  assert.equal(err.expectedType, 'update');
  assert.match(err.message, /"update"/);
  assert.match(err.message, /"render"/);
  const untyped = new sideloop.UnknownAsyncTaskError(null, 'update');
  assert.equal(untyped.givenType, null);
  assert.match(untyped.message, /without a type/);
});

test('a task error comes back with its class, message, code, cause chain, own properties and stack', { timeout: 20000 }, async () => {
  await withLoop({}, (mgr) => {
    const future = mgr.submitTask(tasks.throwRich(), { returnSyncFuture: true });
    let caught;
    try {
      future.result();
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof RangeError);
    assert.equal(caught.message, 'outer failure');
    assert.equal(caught.code, 'E_OUTER');
    assert.deepEqual(caught.details, { retry: false, attempts: [1, 2] });
    assert.match(caught.stack, /throwRich/, 'the stack shows the task\'s frames');
    assert.match(caught.stack, /fixtures\/tasks\.mjs/);
    assert.ok(caught.cause instanceof TypeError);
    assert.equal(caught.cause.message, 'root cause');
    assert.equal(caught.cause.code, 'E_ROOT');
    assert.equal(future.exception(), caught);
  });
});

test('AggregateError, custom classes and thrown non-errors come back faithfully', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    const aggregate = await mgr.submitTask(tasks.throwAggregate()).catch((e) => e);
    assert.ok(aggregate instanceof AggregateError);
    assert.equal(aggregate.errors.length, 2);
    assert.ok(aggregate.errors[1] instanceof TypeError);
    const custom = await mgr.submitTask(tasks.throwCustom()).catch((e) => e);
    assert.ok(custom instanceof Error);
    assert.equal(custom.name, 'CustomError');
    assert.equal(custom.status, 418);
    assert.equal(await mgr.submitTask(tasks.throwString()).catch((e) => e), 'just a string');
  });
});

test('error and result payloads cannot pollute prototypes', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    const err = await mgr.submitTask(tasks.throwPolluting()).catch((e) => e);
    assert.ok(err instanceof Error);
    assert.equal(Object.getPrototypeOf(err), Error.prototype);
    assert.equal({}.polluted, undefined);
    assert.equal(Error.prototype.polluted, undefined);
    const result = await mgr.submitTask(tasks.pollutingResult());
    assert.equal(result.plain, 1);
    assert.equal(Object.getPrototypeOf(result), Object.prototype);
    assert.equal({}.polluted, undefined);
  });
});

test('sideloop errors raised in the loop keep their class on the way back', { timeout: 20000 }, async () => {
  await withLoop({}, async (mgr) => {
    const err = await mgr.submitTask(sideloop.task(new URL('./fixtures/tasks.mjs', import.meta.url), 'nope')).catch((e) => e);
    assert.ok(err instanceof sideloop.TaskNotFoundError);
    assert.ok(err instanceof sideloop.SideloopError);
    assert.equal(err.code, 'ERR_SIDELOOP_TASK_NOT_FOUND');
  });
});
