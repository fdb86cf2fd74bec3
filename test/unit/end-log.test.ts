// The end log (src/registry/end-log.ts) when a slot is released while another thread is recording
// its run's crash: the owner of a slot died, one reaper claimed the crash and is writing its cause,
// another found the claim taken and released the slot. The run must be logged crashed: logged as
// it read at that moment (running), it read "stopped" ever after, and every waiter got
// CancelledError instead of LoopCrashedError (the fault matrix's "owner terminated" case).
import { Registry } from '../../src/registry/registry.ts';
import { C_CRASH_CLAIM, C_EXIT_CODE, C_STATE, LoopState, REGISTRY_BYTES } from '../../src/channel/protocol.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

/** A registry of its own with one running loop: its slot and the run's control. */
function runningLoop() {
  const reg = new Registry(new SharedArrayBuffer(REGISTRY_BYTES));
  const slot = reg.create('end-log', 'end-log', false);
  const control = reg.control(slot, reg.beginRun(slot, null));
  assert.ok(control.setState(LoopState.Running));
  return { reg, slot, control };
}

test('a slot released while another thread records its crash logs the crash, with its exit code', async () => {
  const { reg, slot, control } = runningLoop();
  // The recorder: it has claimed the crash; it publishes the exit code and the state a moment later.
  assert.equal(Atomics.compareExchange(control.words, C_CRASH_CLAIM, 0, 1), 0);
  const recorder = new Worker(
    `const { workerData: { words, C_EXIT_CODE, C_STATE, crashed } } = require('node:worker_threads');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
     Atomics.store(words, C_EXIT_CODE, 7);
     Atomics.store(words, C_STATE, crashed);
     Atomics.notify(words, C_STATE);`,
    { eval: true, workerData: { words: control.words, C_EXIT_CODE, C_STATE, crashed: LoopState.Crashed } },
  );
  await new Promise((resolve) => recorder.once('online', resolve));
  assert.ok(reg.release(slot));
  assert.equal(control.current, false, 'the slot moved on');
  assert.equal(control.state, LoopState.Crashed);
  assert.equal(control.exitCode, 7);
  await new Promise((resolve) => recorder.once('exit', resolve));
});

test('a crash whose recorder died between its claim and its state is logged as a crash', () => {
  const { reg, slot, control } = runningLoop();
  assert.equal(Atomics.compareExchange(control.words, C_CRASH_CLAIM, 0, 1), 0); // and nothing more
  assert.ok(reg.release(slot));
  assert.equal(control.state, LoopState.Crashed);
});

test('a run stopped, or never crashed, is logged as stopped', () => {
  const { reg, slot, control } = runningLoop();
  assert.ok(reg.release(slot));
  assert.equal(control.state, LoopState.Stopped);
  assert.equal(control.exitCode, null);
});
