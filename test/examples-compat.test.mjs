// The examples of the one-liner and the compatibility layers run, and say what they should.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { runFile } from './helpers.mjs';

const example = (path) => fileURLToPath(new URL(`../examples/${path}`, import.meta.url));

test('examples/config-loader: a synchronous config loader over async I/O', { timeout: 30000 }, async () => {
  const { code, signal, stdout, stderr } = await runFile(example('config-loader/main.mjs'), { timeoutMs: 25000 });
  assert.equal(signal, null, `the example hung: ${stderr}`);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, 'config app: {"semi":"always","quotes":"double"}\n');
});

test('examples/prettier-sync: prettier\'s async format from sync code, and @prettier/sync\'s API', { timeout: 30000 }, async () => {
  const { code, signal, stdout, stderr } = await runFile(example('prettier-sync/main.mjs'), { timeoutMs: 25000 });
  assert.equal(signal, null, `the example hung: ${stderr}`);
  assert.equal(code, 0, stderr);
  const source = 'const  answer = {a:1,  b:[1,2,3]}\n';
  // What prettier's own async API gives, awaited here.
  const expected =
    (await prettier.format(source, { parser: 'babel', semi: false })) +
    (await prettier.format(source, { parser: 'babel' })) +
    `prettier ${prettier.version}, check: true\n`;
  assert.equal(stdout, expected);
});
