// The fault matrix: every way a loop can die, crossed with every kind of waiter (see
// fault-scenario.mjs, which runs each case in a child process so that a hang or a frozen
// process fails only its own case). Every future settles with LoopCrashedError, stats() adds
// up, the registry forgets the dead, and the manager (or the id) starts again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SIZE, bySize, describeRun, runChild } from './common.mjs';

const WAITERS = bySize(300, 100);

// Ways the loop thread itself dies (its owner, this process's main thread, lives), each with
// the owner blocked in result() on the dying loop or awaiting it.
const loopDeaths = ['exit', 'throw', 'rejection', 'oom'];
// Ways the owner thread (a worker) dies and takes its loops with it; waiters in other threads.
const ownerDeaths = {
  'owner-exit': false,
  'owner-process-exit': false,
  // Deaths that run no JavaScript in the owner (seen through the registry's thread table). Once
  // failed with every waiter getting CancelledError: a reaper released the slot while another was
  // recording the crash, and the end log read the run as stopped (test/unit/end-log.test.ts).
  'owner-terminated': false,
  'parent-exits': false,
};


function runCase(way, mode, todo) {
  // A case still waiting for another engineer's fix runs at full size only (it hangs until killed).
  const options = { timeout: 120000, ...(todo ? (SIZE === 'full' ? { todo } : { skip: todo }) : {}) };
  test(`${way} while waiters ${mode === 'block' ? 'include the owner blocked in result()' : 'await'}: all settle with LoopCrashedError`, options, async () => {
    const run = await runChild('./fault-scenario.mjs', [way, mode, String(WAITERS)], { timeoutMs: 90000 });
    assert.ok(run.report, `no report: ${describeRun(run)}`);
    console.log(`# fault ${way}/${mode}: ${run.report.figures.waiters} waiters, slowest settled ${run.report.figures.maxSettleMs} ms after the death`);
    assert.deepEqual(run.report.failures, [], describeRun(run));
    assert.equal(run.code, 0, describeRun(run));
  });
}

for (const way of loopDeaths) for (const mode of ['block', 'await']) runCase(way, mode, false);
for (const [way, todo] of Object.entries(ownerDeaths)) runCase(way, 'await', todo);
