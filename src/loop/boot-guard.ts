/**
 * The boot guard: preloaded (`--require`, built as dist/boot-guard.cjs) into
 * every loop thread before anything else the thread loads: the parent's
 * `--require` and `--import` preloads, then the loop thread's entry. If the
 * thread dies before the loop boots (a preload that throws or is missing, an
 * entry a bundler left behind), the cause would otherwise reach only the
 * Worker's 'error' event, on the owner's event loop, which an owner blocked
 * in `result()` does not run. The guard posts it on the life port, where a
 * blocked owner reads it synchronously (loop-run.ts): both kinds of caller
 * get the same error. In any other thread (a worker a task spawns inherits
 * the flag) it does nothing.
 * @internal
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { toErrorData } from '../channel/error-codec.js';
import { BOOT_FAILURE, LOOP_BOOTED, type BootFailure } from '../channel/protocol.js';
import { onUncaught } from './uncaught.js';

const boot = workerData as { loopKey?: unknown; lifePort?: MessagePort } | undefined;

if (typeof boot?.loopKey === 'string' && boot.lifePort !== undefined) {
  const lifePort = boot.lifePort;
  hideFromExecArgv(__filename);
  let first: { error: unknown } | undefined;
  onUncaught((error) => {
    first ??= { error };
  });
  process.on('exit', (exitCode) => {
    // Once booted, the loop runtime records its own deaths in the control block.
    if ((globalThis as { [LOOP_BOOTED]?: boolean })[LOOP_BOOTED]) return;
    // No error: a preload called process.exit(); the exit code is then the cause.
    const message: BootFailure = { kind: BOOT_FAILURE, exitCode, ...(first && { error: toErrorData(first.error) }) };
    try {
      lifePort.postMessage(message);
    } catch {
      // Nothing more to do: the owner then reports the death without its cause.
    }
  });
}

/**
 * Takes the guard's own `--require` out of `process.execArgv`, so that task
 * code (and a synckit worker that checks its flags) sees the flags its user
 * gave; loops this thread starts add the guard again (exec-argv.ts).
 */
function hideFromExecArgv(guardFile: string): void {
  const flags = process.execArgv;
  const at = flags.findIndex((arg, i) => (arg === '--require' || arg === '-r') && flags[i + 1] === guardFile);
  if (at >= 0) flags.splice(at, 2);
  else {
    const joined = flags.indexOf(`--require=${guardFile}`);
    if (joined >= 0) flags.splice(joined, 1);
  }
}
