// Shared bits for the tests: fixture URLs, a loop that is always stopped, child scripts.
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { LoopManager, defineTasks } from '../dist/index.js';

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

/**
 * Runs an ES module given as source in a child Node process and collects its output.
 * `timeoutMs` kills it, so a hang fails the test instead of stalling it.
 */
export function runScript(source, { timeoutMs = 20000, args = [], execArgv = [] } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...execArgv, '--input-type=module', '-e', source, ...args], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const started = Date.now();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Resolves after `ms`. */
export const delay = (ms) => new Promise((r) => setTimeout(r, ms));

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
