// A loop that fails to start (issue 16.4) gives a blocked caller the same error, with the same
// real cause, as an awaiting caller. The cause used to reach only the Worker's 'error' event, on
// the owner's event loop, which a caller blocked in result() does not run: it got "the loop
// thread died while its owner was blocked" with exitCode null.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { distUrl, fixture, onlyOn, runScript } from './helpers.mjs';

const nodeOnly = onlyOn('node', "about Node's preloads (--import, --require), which Bun's and Deno's Workers do not run (refused there)");

/** A child script that starts a loop with `execArgv`, submits once blocking and once awaiting, and prints both errors. */
function bothWays(dist, execArgv) {
  return `
import { LoopManager, defineTasks } from ${JSON.stringify(dist)};
const tasks = defineTasks(new URL(${JSON.stringify(fixture('tasks.mjs').href)}));
const describe = (e) => ({ name: e.name, message: e.message, exitCode: e.exitCode, cause: e.cause?.message, code: e.cause?.code });
const out = {};
for (const how of ['blocked', 'awaiting']) {
  const loop = new LoopManager({ name: how, execArgv: ${JSON.stringify(execArgv)} }).start();
  try {
    const f = loop.submitTask(tasks.echo(1), { returnSyncFuture: how === 'blocked' });
    out[how] = { value: how === 'blocked' ? f.result() : await f };
  } catch (e) {
    out[how] = describe(e);
  }
}
console.log(JSON.stringify(out));
`;
}

async function run(dist, execArgv) {
  const { code, stdout, stderr } = await runScript(bothWays(dist, execArgv), { timeoutMs: 30000 });
  assert.equal(code, 0, stderr);
  const { blocked, awaiting } = JSON.parse(stdout);
  // The names differ only in the loop's name, which says how it was called.
  assert.deepEqual({ ...blocked, message: blocked.message.replace('"blocked"', '"x"') }, { ...awaiting, message: awaiting.message.replace('"awaiting"', '"x"') });
  return blocked;
}

const cases = [
  ['an --import preload that does not exist', ['--import', fixture('no-such-preload.mjs').href], /Cannot find module .*no-such-preload\.mjs/, 'ERR_MODULE_NOT_FOUND'],
  ['an --import preload that throws at load', ['--import', fixture('throwing-preload.mjs').href], /the preload exploded at load/, undefined],
  ['a task-module loader whose hooks throw at load', ['--import', fixture('register-throwing-hooks.mjs').href], /the loader hooks exploded at load/, undefined],
  ['a --require preload that does not exist', ['--require', fileURLToPath(fixture('no-such-preload.cjs'))], /Cannot find module .*no-such-preload\.cjs/, 'MODULE_NOT_FOUND'],
];

for (const [what, execArgv, cause, code] of cases) {
  test(`${what}: blocked and awaiting callers get the same LoopCrashedError with the real cause`, { timeout: 40000, skip: nodeOnly }, async () => {
    const error = await run(distUrl, execArgv);
    assert.equal(error.name, 'LoopCrashedError');
    assert.equal(error.exitCode, 1);
    assert.match(error.cause, cause);
    assert.match(error.message, cause);
    assert.equal(error.code, code);
  });
}

test('a --require preload that calls process.exit(3): blocked and awaiting callers get the same LoopCrashedError, with exit code 3', { timeout: 40000, skip: nodeOnly }, async () => {
  // The guard posted only an uncaught error: a blocked caller was told "out of memory", exit code 1.
  const error = await run(distUrl, ['--require', fileURLToPath(fixture('exiting-preload.cjs'))]);
  assert.equal(error.name, 'LoopCrashedError');
  assert.equal(error.exitCode, 3);
  assert.equal(error.cause, 'The loop thread exited with code 3');
  assert.doesNotMatch(error.message, /out of memory/);
});

test('a loop thread out of memory while it boots: a caller blocked in result() gets LoopCrashedError, not a wait forever', { timeout: 40000, skip: nodeOnly }, async (t) => {
  // The thread dies before it runs any JavaScript, so it never registered itself, and its Worker's
  // 'exit' event runs on the blocked owner's event loop: the owner now registers it (its OS thread).
  const { code, stdout, stderr } = await runScript(
    `
import { LoopManager, defineTasks } from ${JSON.stringify(distUrl)};
const tasks = defineTasks(new URL(${JSON.stringify(fixture('tasks.mjs').href)}));
const describe = (e) => ({ name: e.name, exitCode: e.exitCode, code: e.cause?.code });
const out = {};
for (const how of ['blocked', 'awaiting', 'blocked again']) {
  const loop = new LoopManager({ name: how, resourceLimits: { maxOldGenerationSizeMb: 3 } }).start();
  try {
    const f = loop.submitTask(tasks.echo(1), { returnSyncFuture: how !== 'awaiting' });
    out[how] = { value: how === 'awaiting' ? await f : f.result() };
  } catch (e) {
    out[how] = describe(e);
  }
}
console.log(JSON.stringify(out));
`,
    { timeoutMs: 30000 },
  );
  // 3 MB: the thread dies booting on Node 20 and 24; with less, Node 24 aborts the whole process.
  if (/Fatal JavaScript out of memory: GC during deserialization/.test(stderr)) return t.skip(`${process.version} aborts the process, not the thread, at this limit`);
  assert.equal(code, 0, `the script did not finish (a blocked caller waited forever?): ${stderr}`);
  const out = JSON.parse(stdout);
  // The exit code is Node's where its 'exit' event is heard (an awaiting caller: 0 on Node 20 for a
  // thread that died booting), 1 where the owner was blocked and inferred the death.
  for (const how of ['blocked', 'awaiting', 'blocked again']) {
    assert.deepEqual({ ...out[how], exitCode: undefined }, { name: 'LoopCrashedError', code: 'ERR_WORKER_OUT_OF_MEMORY', exitCode: undefined }, how);
  }
  assert.equal(out.blocked.exitCode, 1);
});

test('a loop thread entry missing from a bundle: start() throws LoopEntryNotFoundError naming the missing file, before any caller waits', { timeout: 40000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sideloop-bundle-'));
  try {
    cpSync(fileURLToPath(new URL('../dist/', import.meta.url)), dir, { recursive: true });
    rmSync(join(dir, 'loop-thread.js'));
    const { code, stdout, stderr } = await runScript(`
import { LoopManager } from ${JSON.stringify(pathToFileURL(join(dir, 'index.js')).href)};
const loop = new LoopManager({ name: 'bundled' });
try {
  loop.start();
  console.log(JSON.stringify({ started: loop.state }));
} catch (e) {
  console.log(JSON.stringify({ name: e.name, code: e.code, entry: e.entry, state: loop.state }));
}
`);
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { name: 'LoopEntryNotFoundError', code: 'ERR_SIDELOOP_LOOP_ENTRY_NOT_FOUND', entry: join(dir, 'loop-thread.js'), state: 'idle' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A bundle that emitted loop-thread.js alone, leaving boot-guard.cjs (and the CommonJS loop thread
// that V8's code cache serves) behind, whose loop thread file fails to load (webpack emits it
// as ESM, into a folder that may not be ESM): a blocked caller used to be told its loop ran out of
// memory. It now learns that the entry file failed to load, and where the reason is.
test('a loop thread entry that fails to load, without the boot guard: a blocked caller is told the file failed to load, not out of memory', { timeout: 40000, skip: nodeOnly }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sideloop-bundle-'));
  try {
    cpSync(fileURLToPath(new URL('../dist/', import.meta.url)), dir, { recursive: true });
    for (const left of ['boot-guard.cjs', 'loop-thread.cjs', 'loop-thread-cached.cjs']) rmSync(join(dir, left));
    writeFileSync(join(dir, 'loop-thread.js'), "throw new Error('the bundled loop thread exploded at load');\n");
    const { code, stdout, stderr } = await runScript(bothWays(pathToFileURL(join(dir, 'index.js')).href, []), { timeoutMs: 30000 });
    assert.equal(code, 0, stderr);
    const { blocked, awaiting } = JSON.parse(stdout);
    assert.equal(blocked.name, 'LoopCrashedError');
    assert.equal(blocked.code, 'ERR_SIDELOOP_LOOP_ENTRY_LOAD', 'was ERR_WORKER_OUT_OF_MEMORY');
    assert.ok(blocked.cause.includes(`its entry file ${join(dir, 'loop-thread.js')} (or a preload) failed to load`), blocked.cause);
    assert.match(blocked.cause, /boot-guard\.cjs/);
    assert.doesNotMatch(blocked.message, /out of memory/);
    // An awaiting caller's event loop runs, so it gets the reason itself.
    assert.equal(awaiting.name, 'LoopCrashedError');
    assert.equal(awaiting.cause, 'the bundled loop thread exploded at load');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a loop that boots normally is untouched by the guard, and a loop started from a loop thread boots too', { timeout: 40000 }, async () => {
  const { code, stdout, stderr } = await runScript(`
import { LoopManager, defineTasks, inlineTask } from ${JSON.stringify(distUrl)};
const outer = new LoopManager({ name: 'outer' }).start();
const nested = outer.submitTask(inlineTask(async (dist) => {
  const { LoopManager, inlineTask } = await import(dist);
  const inner = new LoopManager({ name: 'inner' }).start();
  const value = await inner.submitTask(inlineTask(() => process.execArgv.filter((a) => a.includes('boot-guard')).length));
  await inner.stop();
  return value;
}, ${JSON.stringify(distUrl)}), { returnSyncFuture: true }).result();
console.log(JSON.stringify({ nested }));
await outer.stop();
`);
  assert.equal(code, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), { nested: 0 }, 'the nested loop booted, and the guard hides its own --require from task code at every level');
});
