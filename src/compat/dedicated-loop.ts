/**
 * A loop of its own for each synckit worker file or make-synchronized module,
 * as those libraries give each its own Worker: a module's globals, its
 * process.exit and its Node flags stay its own. The loop starts on first use,
 * starts again after a crash, and being idle never keeps the process alive.
 */
import { LoopManager } from '../loop-manager.js';
import type { SubmitTaskOptions } from '../options.js';
import type { SyncFuture } from '../future.js';
import type { Task } from '../task.js';

const COUNTER = Symbol.for('sideloop.compat.loops');

/** An id no other copy of sideloop in this thread (the CommonJS build, say) hands out too. */
function nextId(kind: string): string {
  const g = globalThis as { [COUNTER]?: number };
  g[COUNTER] = (g[COUNTER] ?? 0) + 1;
  return `${kind}#${g[COUNTER]}`;
}

export class DedicatedLoop {
  private manager: LoopManager | undefined;

  constructor(
    private readonly kind: string,
    private readonly label: string,
    private readonly execArgv?: string[],
  ) {}

  /** Submits a task for a blocking `result()`; `timeoutMs` aborts it (TimeoutError) and leaves later calls alone. */
  submit<T>(task: Task<T>, timeoutMs?: number): SyncFuture<T> {
    let m = this.manager;
    if (!m) {
      m = this.manager = new LoopManager({
        id: nextId(this.kind),
        name: `${this.kind} ${this.label}`,
        ...(this.execArgv ? { execArgv: this.execArgv } : {}),
      });
    }
    if (!m.isRunning) m.start();
    const opts: SubmitTaskOptions & { returnSyncFuture: true } = { returnSyncFuture: true };
    if (timeoutMs !== undefined) opts.timeoutMs = timeoutMs;
    return m.submitTask(task, opts);
  }

  /** Stops the loop and frees its registry slot (in the background: nothing waits for it). */
  dispose(): void {
    const m = this.manager;
    this.manager = undefined;
    m?.[Symbol.asyncDispose]().catch(() => {});
  }
}
