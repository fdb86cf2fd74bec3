// Scarce cores for run.mjs: where `taskset` is (to pin a case to one core), and busy
// processes to run beside a case. A busy process spins for at most BUSY_MAX_MS by itself,
// so one left behind by a killed bench cannot outlive it by much.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const BUSY_MAX_MS = 300_000;

export function tasksetPath() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, 'taskset');
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return null;
}

/** Starts `count` processes that keep a core busy, as other programs on the machine would. */
export function startBusy(count) {
  const code = `const end = Date.now() + ${BUSY_MAX_MS}; let x = 0; while (Date.now() < end) x++;`;
  return Array.from({ length: count }, () => spawn(process.execPath, ['-e', code], { stdio: 'ignore' }));
}

export function stopBusy(children) {
  for (const child of children) child.kill('SIGKILL');
}
