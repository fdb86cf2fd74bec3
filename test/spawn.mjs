// Runs a child process with a time limit and collects its output: test/helpers.mjs (child
// scripts of the tests) and test/runtimes/run.mjs (one test file per process) share it.
import { spawn } from 'node:child_process';

/**
 * Spawns `bin` with `args` (stdin ignored) and resolves once it exits with `{ code, signal,
 * stdout, stderr, out }`: `out` is both streams in the order their chunks arrived. After
 * `timeoutMs` the child is killed (SIGKILL), so a hang fails its caller instead of stalling it.
 * `options` go to spawn (cwd, env).
 */
export function spawnWithTimeout(bin, args, { timeoutMs, ...options }) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let out = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      out += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, out });
    });
  });
}
