// Chaos (chaos-run.mjs, in a child process): waves of thread trees spawn and end while their
// threads resolve, create, replace and use their ancestors' managers and this thread uses
// every loop it finds. No registry entry lost or duplicated, no handle on a dead loop that
// waits, no slot left once every tree has ended. A failure prints its seed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SIZE, bySize, describeRun, runChild, seedFromEnv } from './common.mjs';

const WAVES = bySize(8, 2);
const variants = {
  'threads end normally, by process.exit or by an uncaught error': { ends: 'exit,process.exit,throw', todo: false },
  'and by terminate()': {
    ends: 'exit,process.exit,throw,terminate',
    todo: false,
  },
};

for (const [what, { ends, todo }] of Object.entries(variants)) {
  const options = { timeout: 900000, ...(todo ? (SIZE === 'full' ? { todo } : { skip: todo }) : {}) };
  test(`chaos: ${WAVES} waves of thread trees; ${what}`, options, async () => {
    const seed = seedFromEnv();
    const run = await runChild('./chaos-run.mjs', [String(seed), String(WAVES), ends], { timeoutMs: 850000 });
    assert.ok(run.report, `no report (seed ${seed}): ${describeRun(run)}`);
    console.log(`# chaos (${ends}): ${JSON.stringify(run.report.figures)}`);
    assert.deepEqual(run.report.failures, [], `seed ${seed} (replay: SIDELOOP_STRESS_SEED=${seed}): ${describeRun(run)}`);
  });
}
