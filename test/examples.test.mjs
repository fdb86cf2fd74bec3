// The examples of loaders, separate domains and threads run, and say what they should.
import assert from 'node:assert/strict';
import module from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runFile } from './helpers.mjs';

const example = (path) => fileURLToPath(new URL(`../examples/${path}`, import.meta.url));

async function run(path, args = []) {
  const { code, signal, stdout, stderr } = await runFile(example(path), { timeoutMs: 40000, args });
  assert.equal(signal, null, `the example hung: ${stderr}`);
  assert.equal(code, 0, stderr);
  return stdout;
}

const noHooks = typeof module.registerHooks !== 'function' && `module.registerHooks is missing in Node ${process.version} (it came in 22.15 and 23.5; CI runs Node 24 too)`;

test('examples/register-hooks: resolve and load hooks that block on async tasks', { timeout: 45000, skip: noHooks }, async () => {
  const lines = (await run('register-hooks/main.mjs')).trimEnd().split('\n');
  // greeting imports remote:shout, resolved by the same hooks; the unknown name fails in the
  // resolve hook with the task's own error (Deno's import() puts "Error: " before its message).
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.equal(lines[0], 'hello, HOOKS!');
  assert.match(lines[1], /^remote:nothing -> (Error: )?no remote module named "nothing"$/);
  assert.equal(lines[2], 'registry lookups: 3');
});

test('examples/render-update: separate render and update loops, each refusing the other\'s tasks', { timeout: 45000 }, async () => {
  const lines = (await run('render-update/main.mjs')).trimEnd().split('\n');
  assert.equal(lines.length, 9, lines.join('\n'));
  for (const [i, line] of lines.slice(0, 3).entries()) assert.match(line, new RegExp(`^frame ${i + 1}: rendered \\d+ chars of markup$`));
  assert.deepEqual(lines.slice(3), [
    'update loop still polling while frames rendered: true',
    "refused: task \"snapshot\" (type update) on loop 'rendering' (type render)",
    "refused: task \"page\" (type render) on loop 'updating' (type update)",
    'poll ended: CancelledError',
    'render loop: 3 tasks, update loop: 3 tasks',
    'both loops stopped',
  ]);
});

test('examples/http-server: request threads block on the main thread\'s loop; bounded, it stops by itself', { timeout: 45000 }, async () => {
  const lines = (await run('http-server/main.mjs', ['6', '3'])).trimEnd().split('\n');
  assert.match(lines[0], /^listening on 127\.0\.0\.1:\d+$/);
  const names = { 1: 'Ada', 2: 'Grace', 3: 'Barbara' };
  const threads = new Set();
  for (const [i, id] of [1, 2, 3, 4, 1, 2].entries()) {
    const line = lines[i + 1];
    if (id === 4) {
      assert.equal(line, '/users/4 -> 404 no user 4');
      continue;
    }
    const m = new RegExp(`^/users/${id} -> 200 ${names[id]} \\(thread (\\d+), loop of thread 0\\)$`).exec(line);
    assert.ok(m, line);
    threads.add(m[1]);
  }
  assert.equal(threads.size, 5, 'each request had a thread of its own');
  assert.ok(!threads.has('0'));
  assert.deepEqual(lines.slice(7), ['6 requests: 5 ok, 1 not found; 5 request threads, 6 queries on one loop', 'server closed, loop stopped']);
});
