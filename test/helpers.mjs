// Shared bits for the tests: fixture URLs, a loop that is always stopped, child scripts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { LoopManager, defineTasks } from '../dist/index.js';
import { setFlag } from './fixtures/tasks.mjs';
import { spawnWithTimeout } from './spawn.mjs';

export const fixture = (name) => new URL(`./fixtures/${name}`, import.meta.url);
export const fixturePath = (name) => fileURLToPath(fixture(name));
export const tasks = defineTasks(fixture('tasks.mjs'));
export const distUrl = new URL('../dist/index.js', import.meta.url).href;

/** Runs `fn(manager)` with a started loop, and always stops it (terminating after 5 s). */
export async function withLoop(options, fn) {
  const { taskType, ...managerOptions } = options ?? {};
  const manager = new LoopManager(managerOptions).start(taskType ? { taskType } : undefined);
  try {
    return await fn(manager);
  } finally {
    if (manager.isRunning) await manager.stop({ timeoutMs: 5000 });
  }
}

/** The runtime running the tests: the suite runs on Node, Bun and Deno alike. */
export const runtime = typeof globalThis.Deno !== 'undefined' ? 'deno' : process.versions.bun ? 'bun' : 'node';

/**
 * For `test(name, { skip: skipOn({ bun: why }) })`: the reason a test skips on this runtime, or
 * false. Printed too, for test/runtimes/run.mjs's table (not every runner shows skip reasons).
 */
export function skipOn(reasons) {
  const why = reasons[runtime];
  if (!why) return false;
  const reason = `${why} (skipped on ${runtime})`;
  console.log(`# sideloop-skip: ${reason}`);
  return reason;
}

/** For `test(name, { skip: onlyOn('node', why) })`: a test about one runtime's internals skips elsewhere. */
export const onlyOn = (wanted, why) => skipOn({ node: false, bun: why, deno: why, [wanted]: false });

// Flags the tests pass in Node's spelling. Bun and Deno run TypeScript themselves (no tsx);
// Deno takes V8's flags through --v8-flags.
const isTsxImport = (flags, i) => (flags[i] === '--import' && flags[i + 1] === 'tsx') || (flags[i - 1] === '--import' && flags[i] === 'tsx');

/** The arguments that run script `file` with `execArgv` (Node's spelling) on this runtime. */
export function scriptArgv(file, execArgv = [], args = []) {
  if (runtime === 'node') return [...execArgv, file, ...args];
  const flags = execArgv.filter((_, i) => !isTsxImport(execArgv, i));
  if (runtime === 'bun') return [...flags, file, ...args];
  const v8 = flags.length > 0 ? [`--v8-flags=${flags.join(',')}`] : [];
  // Sloppy imports: sources import each other as './x.js', as TypeScript's ESM output does.
  return ['run', '-A', '--unstable-sloppy-imports', ...v8, file, ...args];
}

// Deno resolves bare specifiers with the package.json it finds from the main module, once for the
// process: from a script outside the project, a fixture's own `import 'sideloop/synckit'` fails
// where Node resolves it file by file. There, scripts are written inside the project, as a user's are.
const scriptsDir = runtime === 'deno' ? fileURLToPath(new URL('.', import.meta.url)) : tmpdir();

/**
 * Runs an ES module given as source in a child process of this runtime and collects its
 * output. The source is written to a file: `-e` does not run modules everywhere.
 * `timeoutMs` kills it, so a hang fails the test instead of stalling it.
 */
export function runScript(source, { timeoutMs = 20000, args = [], execArgv = [], env } = {}) {
  const dir = mkdtempSync(join(scriptsDir, runtime === 'deno' ? '.script-' : 'sideloop-test-'));
  const file = join(dir, 'script.mjs');
  writeFileSync(file, source);
  return runFile(file, { timeoutMs, args, execArgv, env }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** Runs script `file` in a child process of this runtime; resolves with its exit and output. `env` adds to this process's. */
export async function runFile(file, { timeoutMs = 20000, args = [], execArgv = [], env } = {}) {
  const { code, signal, stdout, stderr } = await spawnWithTimeout(process.execPath, scriptArgv(file, execArgv, args), {
    timeoutMs,
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    ...(env && { env: { ...process.env, ...env } }),
  });
  return { code, signal, stdout, stderr };
}

/** Resolves after `ms`. */
export const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves true once `words[index]` is at least `n`, false after `ms`: the waiting side of a
 * handshake with another thread, which adds to the word and notifies it (as the fixture tasks'
 * `started` arguments do). Never a guess at how long the other thread needs.
 */
export async function waitForCount(words, index, n, ms = 20000) {
  const giveUpAt = Date.now() + ms;
  for (let seen; (seen = Atomics.load(words, index)) < n; ) {
    const left = giveUpAt - Date.now();
    if (left <= 0) return false;
    // A timer beside the wait: a pending waitAsync alone does not keep the event loop alive.
    let timer;
    await Promise.race([Atomics.waitAsync(words, index, seen, left).value, new Promise((r) => (timer = setTimeout(r, left)))]);
    clearTimeout(timer);
  }
  return true;
}

/** A word for a task to bump when it starts (pass `buffer` as its `started` argument); `reached(n)` awaits n starts. */
export function startSignal() {
  const buffer = new SharedArrayBuffer(4);
  const words = new Int32Array(buffer);
  return { buffer, reached: (n = 1, ms = 20000) => waitForCount(words, 0, n, ms) };
}

/** From this thread, what the fixture task setFlag does: releases a task waiting in waitForFlag. */
export function raiseFlag(buffer, value) {
  setFlag(buffer, value);
}

/** Polls `condition` until it holds or `ms` pass; returns whether it held. For effects of thread exits, which land when they land. */
export async function eventually(condition, ms = 5000) {
  const giveUpAt = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > giveUpAt) return false;
    await delay(10);
  }
  return true;
}

/**
 * Runs `body` (the inside of an async function, in ESM) in a new worker thread, with
 * sideloop, `tasks`, `workerData` and `spawn` (the same helper, for nested workers) in scope.
 * Resolves with what the body returns; rejects with what it throws.
 */
export function inWorker(body, data = {}) {
  return spawnWorker(body, data);
}

const workerPrelude = (distUrl, tasksUrl, helpersUrl) => `
import * as sideloop from ${JSON.stringify(distUrl)};
import { parentPort, workerData, threadId } from 'node:worker_threads';
import { inWorker as spawn } from ${JSON.stringify(helpersUrl)};
const { LoopManager, getOrCreateLoopManager, defineTasks, inlineTask } = sideloop;
const tasks = defineTasks(${JSON.stringify(tasksUrl)});
const data = workerData.data;
try {
  const result = await (async () => { ${'/*BODY*/'} })();
  parentPort.postMessage({ ok: true, result });
} catch (error) {
  parentPort.postMessage({ ok: false, error: { name: error?.name, message: error?.message, code: error?.code, stack: error?.stack } });
}
`;

// Synchronous on purpose: a caller may block its thread right after spawning.
function spawnWorker(body, data) {
  const source = workerPrelude(distUrl, fixture('tasks.mjs').href, import.meta.url).replace('/*BODY*/', body);
  const worker = new Worker(new URL('data:text/javascript,' + encodeURIComponent(source)), { workerData: { data } });
  return new Promise((resolve, reject) => {
    let answered = false;
    worker.on('message', (m) => {
      answered = true;
      if (m.ok) resolve(m.result);
      else reject(Object.assign(new Error(`in worker: ${m.error.name}: ${m.error.message}`), m.error));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (!answered) reject(new Error(`worker exited with code ${code} without answering`));
    });
  });
}

/** What the fixtures' `write` tasks print (make-synchronized, synckit): both streams interleaved, a pause before the last. */
export const INTERLEAVED_WRITES = [
  ['stdout', 'out 1\n'],
  ['stderr', 'err 2\n'],
  ['stdout', 'out 3\n'],
  ['stderr', 'err 4\n'],
];

/** Runs `fn` with process.stdout/stderr.write recorded (and silenced); returns what was written, in order. */
export function recordOutput(fn) {
  const written = [];
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const type of ['stdout', 'stderr']) {
    process[type].write = (chunk) => {
      written.push([type, String(chunk)]);
      return true;
    };
  }
  try {
    return { value: fn(), written };
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
}
