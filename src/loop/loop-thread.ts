/**
 * The loop thread: the entry point of every loop's Worker (built as
 * dist/loop-thread.js). It boots a LoopRuntime from workerData, hooks it to
 * this thread's deaths, and reports the loop running.
 */
import { sharedNowMs } from '../clock.js';
import { threadId, workerData, type MessagePort } from 'node:worker_threads';
import type { LoopBootData } from '../channel/protocol.js';
import { LOOP_BOOTED, LoopState } from '../channel/protocol.js';
import { debug, debugEnabled } from '../debug.js';
import { lineage } from '../registry/lineage.js';
import { Registry } from '../registry/registry.js';
import { inheritLoaders } from './loaders.js';
import { LoopRuntime } from './loop-runtime.js';
import { installLoopThreadContext } from './task-context.js';
import { captureOutput } from './task-output.js';
import { onUncaught } from './uncaught.js';

const boot = workerData as LoopBootData & { lifePort: MessagePort };
const registry = new Registry(boot.registry);
const control = registry.control(boot.slot, boot.gen);
const runtime = new LoopRuntime({
  control,
  name: boot.name,
  taskType: boot.taskType,
  loopKey: boot.loopKey,
  context: installLoopThreadContext(boot.loopKey),
  // The life port carries liveness probes from a blocked owner: their postMessage fails once this
  // thread is gone.
  lifePort: boot.lifePort,
  exit: (code) => process.exit(code),
  threads: { deaths: () => registry.threads.deaths, ended: (id) => registry.threads.ended(id) },
});
runtime.connect(boot.ownerLane);
// Before anything a task module could print: output rides the lanes from here on.
captureOutput(runtime.output);

onUncaught((err) => runtime.stop.noteUncaught(err));
process.on('exit', (code) => runtime.stop.onExit(code));
(globalThis as { [LOOP_BOOTED]?: boolean })[LOOP_BOOTED] = true; // the boot guard stands down

// Workers that tasks spawn inherit this thread's lineage. A call, not a bare import: the package
// declares no side effects, so the bundler would drop a bare one.
lineage();
// No top-level await: a bundler can then emit this entry as CommonJS too.
void inheritLoaders(process.execArgv).then(() => {
  control.loopThreadId = threadId;
  setInterval(() => {}, 2 ** 30); // the loop lives until stopped; waitAsync alone holds no handle
  if (Atomics.compareExchange(control.words, 0, LoopState.Starting, LoopState.Running) === LoopState.Starting) {
    Atomics.notify(control.words, 0);
  }
  // Only when printed: on Bun and Deno sharedNowMs() reads `performance`, whose first read loads perf_hooks.
  if (debugEnabled) debug('loop %s: running on thread %d, %s ms after its start()', boot.name, threadId, (sharedNowMs() - control.startedAt).toFixed(1));
  runtime.start();
});
