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
    // 'exit' can come before the pipes are drained (Node's docs say so; Deno's child_process did
    // it in CI): the last lines a child printed were missing and a test that matched them failed.
    // So the result waits for 'close', or 5 s after 'exit' should a grandchild hold a pipe open.
    let drain;
    const settle = (code, signal) => {
      clearTimeout(timer);
      clearTimeout(drain);
      resolve({ code, signal, killed, stdout, stderr, out });
    };
    child.on('close', settle);
    child.on('exit', (code, signal) => {
      drain = setTimeout(() => settle(code, signal), 5000);
    });
  });
}
