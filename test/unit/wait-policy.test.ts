// The waiting policy's decisions (src/channel/wait-policy.ts), without threads or clocks: times are given.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOOP_HOT_MS, LOOP_POLL_MS, SPIN_ALLOWED, Step, loopMayPoll, loopWait } from '../../src/channel/wait-policy.ts';

test('the loop polls while tasks run only where a submitter may send a request soon (Node), and always where it never blocks (Bun, Deno)', () => {
  const yes = () => true;
  const no = () => false;
  assert.equal(loopMayPoll(0, true, no), true, 'no task runs: the next request follows a result');
  assert.equal(loopMayPoll(2, true, no), false, 'every submitter waits for a running task');
  assert.equal(loopMayPoll(2, true, yes), true, 'a submitter was answered since its last request');
  assert.equal(loopMayPoll(2, false, no), true, 'a loop that never blocks its thread polls as before');
});

test('an idle period that stops being worth polling parks, and counts neither as a poll nor as a failed one', { skip: !SPIN_ALLOWED && 'one core: nothing polls' }, () => {
  let polled = 0;
  let failed = 0;
  const wait = loopWait(() => polled++, () => failed++);
  assert.equal(wait.step(0, 0, true), Step.Hot);
  assert.equal(wait.step(LOOP_HOT_MS / 2, 0, false), Step.Park, 'its submitters now wait for running tasks');
  wait.active(1, 0, true);
  assert.deepEqual({ polled, failed }, { polled: 0, failed: 0 });
  // A failure would make the next idle period park at once (its backoff skips one).
  assert.equal(wait.step(2, 2, true), Step.Hot);
  wait.active(2 + LOOP_HOT_MS / 2, 2, true);
  assert.deepEqual({ polled, failed }, { polled: 1, failed: 0 }, 'a period that found its request polled');
});

test('a period that polls its whole window for nothing counts as a poll and a failure, and the next one parks at once', { skip: !SPIN_ALLOWED && 'one core: nothing polls' }, () => {
  let polled = 0;
  let failed = 0;
  const wait = loopWait(() => polled++, () => failed++);
  assert.equal(wait.step(0, 0, true), Step.Hot);
  assert.equal(wait.step(LOOP_POLL_MS * 2, 0, true), Step.Park);
  wait.active(LOOP_POLL_MS * 3, 0, true);
  assert.deepEqual({ polled, failed }, { polled: 1, failed: 1 });
  assert.equal(wait.step(10, 10, true), Step.Park, 'the backoff skips the next period');
});

test('an idle period that is not worth polling from its start parks and teaches the backoff nothing', { skip: !SPIN_ALLOWED && 'one core: nothing polls' }, () => {
  let polled = 0;
  const wait = loopWait(() => polled++);
  assert.equal(wait.step(0, 0, false), Step.Park);
  wait.active(5, 0, true);
  assert.equal(wait.step(6, 6, true), Step.Hot);
  assert.equal(polled, 0);
});
