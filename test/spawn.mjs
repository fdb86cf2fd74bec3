// Runs a child process with a time limit and collects its output: test/helpers.mjs (child
// scripts of the tests) and test/runtimes/run.mjs (one test file per process) share it.
import { spawn } from 'node:child_process';

/**
 * Spawns `bin` with `args` (stdin ignored) and resolves once it exits with `{ code, signal,
 * killed, stdout, stderr, out }`: `out` is both streams in the order their chunks arrived.
 * After `timeoutMs` the child is killed (SIGKILL, and `killed` is true), so a hang fails its
 * caller instead of stalling it. `onStdout(chunk, child)` sees stdout as it comes (to answer
 * the child, or signal it). Other `options` go to spawn (cwd, env).
 */
export function spawnWithTimeout(bin, args, { timeoutMs, onStdout, ...options }) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let out = '';
    let killed = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      out += d;
      onStdout?.(String(d), child);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      out += d;
    });
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, killed, stdout, stderr, out });
    });
  });
}
