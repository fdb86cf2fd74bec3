// `npm start` runs this demo; keep it working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runFile } from './helpers.mjs';

const demo = fileURLToPath(new URL('../examples/demo.mjs', import.meta.url));

test('the demo runs: sync code on three loops, a rejected submission, a worker inheriting a loop', { timeout: 30000 }, async () => {
  const { code, signal, stdout, stderr } = await runFile(demo, { timeoutMs: 25000 });
  assert.equal(signal, null, `the demo hung: ${stderr}`);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /synchronous code got, from three loops at once/);
  assert.match(stdout, /rejected submission: UnknownAsyncTaskError \(ERR_SIDELOOP_UNKNOWN_TASK_TYPE\)/);
  assert.match(stdout, /worker thread \d+ resolved 'rendering' owned by thread 0; its task ran on loop thread \d+/);
  assert.match(stdout, /may use the loop but not stop it: NotOwnerError/);
  assert.match(stdout, /all loops stopped\./);
});
