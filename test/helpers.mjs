// Shared bits for the tests: fixture URLs, a loop that is always stopped, child scripts.
import { spawn } from 'node:child_process';
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
