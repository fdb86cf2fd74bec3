// Issue 16.2: every value arrives exactly as structuredClone gives it, on every path (box, ring,
// side channel; the owner's lane and another thread's lane through a handle; arguments and
// results). A property test over random values of every structured-clone type, with a fixed
// seed; SIDELOOP_PROPERTY_RUNS raises the number of runs (the stress suite does).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { LoopManager } from '../dist/index.js';
import { cloneValue } from './fixtures/clone-arbitrary.mjs';
import { checkResult, checkValue, cloneTasks } from './fixtures/clone-check.mjs';
import { describe } from './fixtures/clone-describe.mjs';

const SEED = 16_2_2026;
const RUNS = Number(process.env.SIDELOOP_PROPERTY_RUNS) || 120;
const WORKER_RUNS = Number(process.env.SIDELOOP_PROPERTY_RUNS) || 60;

/** fast-check prints the seed and the shrunk value on failure; say how to replay it too. */
async function property(name, seed, runs, body) {
  try {
    await body();
  } catch (err) {
    err.message = `${name}: failed with seed ${seed} (${runs} runs; replay with SIDELOOP_PROPERTY_RUNS=${runs})\n${err.message}`;
    throw err;
  }
}

test('the examples from issue 16 come back as structuredClone gives them', { timeout: 60000 }, async () => {
  const loop = new LoopManager({ name: 'clone-examples' }).start();
  try {
    const lone = '😀'.slice(0, 1);
    const decorated = Object.assign([1, 2, 3], { extra: 'kept' });
    for (const value of [lone, `a${lone}b`, [lone], { [lone]: lone }, decorated, [decorated], { list: decorated }]) {
      await checkValue(loop, value);
    }
    for (const n of [16, 16 * 1024 - 64, 16 * 1024, 16 * 1024 + 1, 64 * 1024]) {
      const arrived = loop.submitTask(cloneTasks.echo(Buffer.alloc(n, 1)), { returnSyncFuture: true }).result();
      assert.equal(Object.getPrototypeOf(arrived), Uint8Array.prototype, `a Buffer of ${n} bytes comes back as the Uint8Array structuredClone gives`);
      const made = await loop.submitTask(cloneTasks.makeBuffer(n));
      assert.equal(describe(made), describe(structuredClone(Buffer.alloc(n, 7))), `a Buffer of ${n} bytes returned by a task`);
    }
  } finally {
    await loop.stop({ timeoutMs: 5000 });
  }
});

test('random values of every structured-clone type: the owner\'s lane, arguments and results', { timeout: 600000 }, async () => {
  const loop = new LoopManager({ name: 'clone-owner' }).start();
  try {
    await property('owner lane', SEED, RUNS, async () => {
      await fc.assert(fc.asyncProperty(cloneValue(fc), (v) => checkValue(loop, v)), { seed: SEED, numRuns: RUNS });
      const values = fc.sample(cloneValue(fc), { seed: SEED, numRuns: RUNS });
      for (let i = 0; i < values.length; i++) await checkResult(loop, SEED, RUNS, i, values[i], i % 2 === 0);
    });
  } finally {
    await loop.stop({ timeoutMs: 5000 });
  }
});

test('random values of every structured-clone type: another thread\'s lane through a handle', { timeout: 600000 }, async () => {
  const id = 'clone-fidelity-handle';
  const loop = new LoopManager({ id, name: id }).start();
  try {
    const seed = SEED + 1;
    const worker = new Worker(new URL('./fixtures/clone-worker.mjs', import.meta.url), { workerData: { id, seed, runs: WORKER_RUNS } });
    const report = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => resolve({ ok: false, message: `the worker exited with ${code} before reporting` }));
    });
    await worker.terminate();
    assert.ok(report.ok, `handle lane: failed with seed ${seed} (${WORKER_RUNS} runs)\n${report.message}`);
  } finally {
    await loop[Symbol.asyncDispose]();
  }
});
