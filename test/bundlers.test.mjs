// sideloop bundled into a user's script with esbuild: the loop thread's entry is emitted beside
// the bundle as the entry point 'sideloop/loop-thread', or named with loopEntry or
// SIDELOOP_LOOP_ENTRY; when it is missing, start() throws LoopEntryNotFoundError at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { LoopEntryNotFoundError, LoopManager, inlineTask } from '../dist/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const distLoopThread = join(root, 'dist', 'loop-thread.js');

// A user's project: sideloop installed (a link to this checkout), a script, a task module that
// stays a file of its own next to the bundle.
const dir = mkdtempSync(join(tmpdir(), 'sideloop-bundle-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'node_modules'));
symlinkSync(root, join(dir, 'node_modules', 'sideloop'), 'dir');
writeFileSync(join(dir, 'tasks.mjs'), 'export async function double(x) { await new Promise((r) => setTimeout(r, 1)); return 2 * x; }\n');

const body = `
const loop = getOrCreateLoopManager().start();
const tasks = defineTasks(TASKS);
const sum = loop.submitTask(inlineTask(async (a, b) => a + b, 2, 3), { returnSyncFuture: true }).result(10000);
const doubled = loop.submitTask(tasks.double(21), { returnSyncFuture: true }).result(10000);
console.log(JSON.stringify({ sum, doubled }));
loop.stop();
`;
writeFileSync(
  join(dir, 'app.mjs'),
  // Not import.meta.url: the same source is also bundled as CommonJS, where it is empty.
  `import { getOrCreateLoopManager, defineTasks, inlineTask } from 'sideloop';\nimport { dirname, join } from 'node:path';\nconst TASKS = join(dirname(process.argv[1]), 'tasks.mjs');\n${body}`,
);
writeFileSync(
  join(dir, 'app.cjs'),
  `const { getOrCreateLoopManager, defineTasks, inlineTask } = require('sideloop');\nconst TASKS = require('node:path').join(__dirname, 'tasks.mjs');\n${body}`,
);

/** Bundles `entryPoints` into a fresh output folder beside which tasks.mjs is copied; returns the folder. */
async function bundle(name, entryPoints, format) {
  const outdir = join(dir, name);
  await build({ entryPoints, bundle: true, platform: 'node', format, outdir, absWorkingDir: dir, logLevel: 'silent' });
  copyFileSync(join(dir, 'tasks.mjs'), join(outdir, 'tasks.mjs'));
  return outdir;
}

/** Runs a bundled script; a hang is killed and fails the test. */
function run(script, env = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [script], { timeout: 20000, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr }),
    );
  });
}

test('an ESM bundle with sideloop/loop-thread as a second entry point runs its loop', { timeout: 60000 }, async () => {
  const out = await bundle('esm', { app: 'app.mjs', 'loop-thread': 'sideloop/loop-thread' }, 'esm');
  const r = await run(join(out, 'app.js'));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { sum: 5, doubled: 42 });
});

test('a CommonJS bundle, from CommonJS or from ESM sources, runs its loop', { timeout: 60000 }, async () => {
  for (const app of ['app.cjs', 'app.mjs']) {
    const out = await bundle(`cjs-${app}`, { app, 'loop-thread': 'sideloop/loop-thread' }, 'cjs');
    const r = await run(join(out, 'app.js'));
    assert.equal(r.code, 0, `${app}: ${r.stderr}`);
    assert.deepEqual(JSON.parse(r.stdout), { sum: 5, doubled: 42 });
  }
});

test('a bundle without the loop thread fails at start() with LoopEntryNotFoundError, or runs given SIDELOOP_LOOP_ENTRY', { timeout: 60000 }, async () => {
  const out = await bundle('no-entry', { app: 'app.mjs' }, 'esm');
  const r = await run(join(out, 'app.js'));
  assert.notEqual(r.code, 0);
  // Only the message: runtimes print an uncaught error differently (Bun without its name, Deno
  // without its code); the class and code are checked in-process below.
  assert.match(r.stderr, /sideloop's loop thread entry is not at .*no-entry.loop-thread\.js \(beside sideloop\)/);
  assert.match(r.stderr, /sideloop\/loop-thread/, 'the message says how to fix it');

  const withEnv = await run(join(out, 'app.js'), { SIDELOOP_LOOP_ENTRY: distLoopThread });
  assert.equal(withEnv.code, 0, withEnv.stderr);
  assert.deepEqual(JSON.parse(withEnv.stdout), { sum: 5, doubled: 42 });

  const wrongEnv = await run(join(out, 'app.js'), { SIDELOOP_LOOP_ENTRY: join(dir, 'nowhere.js') });
  assert.match(wrongEnv.stderr, /entry is not at .*nowhere\.js \(SIDELOOP_LOOP_ENTRY\)/);
});

test('a bundle of sideloop/synckit and sideloop/make-synchronized runs with compat-runner emitted beside it', { timeout: 60000 }, async () => {
  writeFileSync(join(dir, 'sum-worker.mjs'), "import { runAsWorker } from 'sideloop/synckit';\nrunAsWorker(async (a, b) => a + b);\n");
  writeFileSync(
    join(dir, 'compat-app.mjs'),
    `import { createSyncFn } from 'sideloop/synckit';
import { makeSynchronized } from 'sideloop/make-synchronized';
import { dirname, join } from 'node:path';
const here = dirname(process.argv[1]);
const sum = createSyncFn(join(here, 'sum-worker.js'));
const tasks = makeSynchronized(join(here, 'tasks.mjs'));
console.log(JSON.stringify({ sum: sum(2, 3), doubled: tasks.double(21) }));
`,
  );
  const entryPoints = { app: 'compat-app.mjs', 'loop-thread': 'sideloop/loop-thread', 'compat-runner': 'sideloop/compat-runner' };
  const out = await bundle('compat', entryPoints, 'esm');
  // The synckit worker is a file of its own too, bundled with its own copy of runAsWorker.
  await build({ entryPoints: { 'sum-worker': 'sum-worker.mjs' }, bundle: true, platform: 'node', format: 'esm', outdir: out, absWorkingDir: dir, logLevel: 'silent' });
  const r = await run(join(out, 'app.js'));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { sum: 5, doubled: 42 });
});

test('the loopEntry option names the entry; a missing one throws at start() and leaves the manager idle', { timeout: 30000 }, async () => {
  const missing = new LoopManager({ id: 'entry-missing', loopEntry: join(dir, 'missing', 'loop-thread.js') });
  assert.throws(() => missing.start(), LoopEntryNotFoundError);
  assert.throws(() => missing.start(), (e) => e.code === 'ERR_SIDELOOP_LOOP_ENTRY_NOT_FOUND' && e.entry === join(dir, 'missing', 'loop-thread.js'));
  assert.equal(missing.state, 'idle');
  assert.equal(missing.isRunning, false);
  await missing[Symbol.asyncDispose]();

  for (const loopEntry of [distLoopThread, pathToFileURL(distLoopThread), pathToFileURL(distLoopThread).href]) {
    const loop = new LoopManager({ id: 'entry-given', loopEntry }).start();
    try {
      assert.equal(loop.submitTask(inlineTask(async () => 'ran'), { returnSyncFuture: true }).result(10000), 'ran');
    } finally {
      await loop[Symbol.asyncDispose]();
    }
  }
  assert.throws(() => new LoopManager({ loopEntry: 'dist/loop-thread.js' }), /"loopEntry" option must be an absolute path or a file: URL/);
  assert.throws(() => new LoopManager({ loopEntry: new URL('data:text/javascript,') }), TypeError);
});
