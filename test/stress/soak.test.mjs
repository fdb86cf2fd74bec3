// The soak: a million tasks (CI: 100k) over 4 loops from 3 submitting threads, with random
// failures, cancellations, timeouts and blocking calls (soak-run.mjs, in a child process with
// --expose-gc). Every future settles exactly once, totals match stats(), and heap and RSS
// after GC come back within the bounds below.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bySize, describeRun, runChild, seedFromEnv } from './common.mjs';

const TASKS = bySize(1000000, 100000);
// After GC, against a baseline taken after warm-up: the submitting side's heap, each loop's
// heap, and the process's RSS (which keeps what the allocator holds on to, threads included).
const BOUNDS = { heapGrowthMb: 16, loopHeapGrowthMb: 16, rssGrowthMb: 96 };

test(`soak: ${TASKS} tasks, 4 loops, 3 submitting threads; settled once, totals match stats(), memory returns`, { timeout: 900000 }, async () => {
  const seed = seedFromEnv();
  const run = await runChild('./soak-run.mjs', [String(TASKS), String(seed)], { timeoutMs: 850000, execArgv: ['--expose-gc'] });
  assert.ok(run.report, `no report (seed ${seed}): ${describeRun(run)}`);
  const { failures, figures } = run.report;
  console.log(`# soak (seed ${seed}): ${JSON.stringify(figures)}`);
  assert.deepEqual(failures, [], `seed ${seed}: ${describeRun(run)}`);
  for (const [what, bound] of Object.entries(BOUNDS)) {
    assert.ok(figures[what] <= bound, `${what} ${figures[what]} MB exceeds ${bound} MB (seed ${seed})`);
  }
});
