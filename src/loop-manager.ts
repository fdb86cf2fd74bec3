/**
 * LoopManager: the owner's side of a loop. It starts and stops the loop
 * thread, watches it for death, and submits tasks through this thread's lane.
 */
import { workerElu } from './runtime.js';
import { threadId } from 'node:worker_threads';
import { Call } from './client/call.js';
import type { ClientLane } from './client/client-lane.js';
import { LoopRun, type WorkerOptions } from './client/loop-run.js';
import { connectLane } from './client/remote-lane.js';
import { LoopState } from './channel/protocol.js';
import { debug } from './debug.js';
import { submitterTraced, traceCall } from './diagnostics.js';
import { CancelledError, LoopAlreadyRunningError, LoopNotRunningError, NotOwnerError, UnknownAsyncTaskError } from './errors.js';
import { SyncFuture, TaskFuture } from './future.js';
import {
  checkManagerOptions,
  checkStartOptions,
  checkStopOptions,
  DEFAULT_STOP_TIMEOUT_MS,
  checkSubmitOptions,
  type LoopManagerOptions,
  type StartOptions,
  type StopOptions,
  type SubmitTaskOptions,
} from './options.js';
import type { LoopControl, LoopStats } from './registry/control.js';
import { forgetSlot, managerForSlot, rememberOwner } from './registry/handles.js';
import { createSlot } from './registry/reaper.js';
import { DEFAULT_LOOP_ID, registry, type LoopId, type ManagerInfo, type Registry } from './registry/registry.js';
import type { Task } from './task.js';

export type LoopStateName = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

/** The loop's thread, as seen from outside. */
export interface LoopHandle {
  readonly threadId: number;
  eventLoopUtilization(): { idle: number; active: number; utilization: number };
  /** Makes the loop keep the process alive even when idle. */
  ref(): void;
  unref(): void;
}


/** What a thread sees of the run currently in a manager's slot. */
interface RunView {
  readonly gen: number;
  readonly control: LoopControl;
  taskType: string | null;
  lane?: ClientLane;
}

export class LoopManager implements AsyncDisposable {
  readonly id!: LoopId;
  readonly name!: string;
  readonly ownerThreadId!: number;
  private registry!: Registry;
  private slot!: number;
  /** The generation at which the slot got this manager: the slot is this manager's only while it says so. */
  private born!: number;
  /** Owner only: how to spawn the loop thread, and the current run. */
  private workerOptions?: WorkerOptions;
  private run: LoopRun | undefined;
  private cachedView: RunView | undefined;
  private released = false;
  /** Owner only: why the last start() threw, for the error of a later submit. */
  private startFailure: Error | undefined;

  /** Creates a manager owned by this thread and registers it for its id (replacing this thread's entry). */
  constructor(opts?: LoopManagerOptions) {
    const o = checkManagerOptions(opts);
    const id = o.id ?? DEFAULT_LOOP_ID;
    const name = o.name ?? (id === DEFAULT_LOOP_ID ? 'default' : String(id));
    const reg = registry();
    const slot = createSlot(reg, id, name);
    this.init(reg, slot, reg.born(slot), id, name, threadId);
    this.workerOptions = { resourceLimits: o.resourceLimits, execArgv: o.execArgv, env: o.env, loopEntry: o.loopEntry };
    rememberOwner(this.slot, this);
    debug('created manager %s (slot %d) in thread %d', name, this.slot, threadId);
  }

  private init(reg: Registry, slot: number, born: number, id: LoopId, name: string, owner: number): void {
    Object.assign(this, { registry: reg, slot, born, id, name, ownerThreadId: owner });
  }

  /**
   * @internal A handle on a manager of another thread (or of another copy of sideloop in this one),
   * or undefined when the slot was freed meanwhile.
   */
  static handle(reg: Registry, slot: number): LoopManager | undefined {
    const who = reg.identity(slot);
    if (!who) return undefined;
    const handle = Object.create(LoopManager.prototype) as LoopManager;
    handle.init(reg, slot, who.born, who.id, who.name, who.owner);
    handle.released = false;
    return handle;
  }

  /** @internal Whether this object's manager is gone: disposed, or its owner thread died (its slot may hold another manager now). */
  slotGone(): boolean {
    return this.released || !this.registry.holds(this.slot, this.born);
  }

  /**
   * What this thread sees of the current run; refreshed when the slot starts a new one.
   * Once the manager is gone it keeps the last run it saw: the slot's later runs belong
   * to another manager, which a stale handle must never read or drive.
   */
  private runView(): RunView {
    let view = this.cachedView;
    if (this.slotGone()) return (this.cachedView ??= { gen: this.born, control: this.registry.control(this.slot, this.born), taskType: null });
    const gen = this.registry.gen(this.slot);
    if (view?.gen === gen) return view;
    if (view?.lane && view.lane !== this.run?.lane) {
      view.lane.onLoopEnded();
      view.lane.close();
    }
    view = { gen, control: this.registry.control(this.slot, gen), taskType: this.registry.taskType(this.slot) };
    if (this.run?.gen === gen) view.lane = this.run.lane;
    this.cachedView = view;
    return view;
  }

  /** The task type this loop accepts, or null when it accepts every task (or is not running). */
  get taskType(): string | null {
    const view = this.runView();
    return view.control.accepting ? view.taskType : null;
  }

  get state(): LoopStateName {
    if (this.released) return 'stopped';
    switch (this.runView().control.state) {
      case LoopState.Starting:
        return 'starting';
      case LoopState.Running:
        return 'running';
      case LoopState.Stopping:
        return 'stopping';
      case LoopState.Stopped:
        return 'stopped';
      case LoopState.Crashed:
        return 'crashed';
      default:
        return 'idle';
    }
  }

  /** True while the loop takes tasks (starting or running). */
  get isRunning(): boolean {
    return !this.released && this.runView().control.accepting;
  }

  private assertOwner(what: string): void {
    if (threadId !== this.ownerThreadId) {
      throw new NotOwnerError(`Only the thread that owns loop "${this.name}" (thread ${this.ownerThreadId}) can ${what} it; this is thread ${threadId}`);
    }
    if (!this.workerOptions) {
      throw new NotOwnerError(`This is a handle on loop "${this.name}" made by another copy of sideloop in this thread; ${what} it through the manager that copy returned`);
    }
    if (this.released) throw new LoopNotRunningError(`Loop "${this.name}" was disposed`);
  }

  /** Spawns the loop thread. Tasks may be submitted at once: they wait for the thread to boot. */
  start(opts?: StartOptions): this {
    this.assertOwner('start');
    const o = checkStartOptions(opts);
    if (this.run && !this.run.control.ended) {
      throw new LoopAlreadyRunningError(`Loop "${this.name}" is already ${this.state}${this.state === 'stopping' ? '; await stop() first' : ''}`);
    }
    const taskType = o.taskType ?? null;
    this.startFailure = undefined;
    try {
      this.run = new LoopRun(this.registry, this.slot, this.name, taskType, this.workerOptions!);
    } catch (err) {
      this.startFailure = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      this.cachedView = undefined;
    }
    debug('started loop %s (key %s, type %s)', this.name, this.run.key, taskType);
    return this;
  }

  /**
   * Stops the loop: running tasks finish (or are cancelled with `cancelPending`),
   * then the thread exits. Tasks still running after `timeoutMs` (default 10 s)
   * are cancelled, and a thread still busy a moment later is terminated.
   */
  async stop(opts?: StopOptions): Promise<void> {
    this.assertOwner('stop');
    const o = checkStopOptions(opts);
    const run = this.run;
    if (!run || this.released) return;
    await run.stop(o.cancelPending === true, o.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
  }

  /** Submits a task; see SubmitTaskOptions. Throws at once for a stopped loop, a wrong type, or uncloneable arguments. */
  submitTask<T>(task: Task<T>, opts: SubmitTaskOptions & { returnSyncFuture: true }): SyncFuture<T>;
  submitTask<T>(task: Task<T>, opts?: SubmitTaskOptions & { returnSyncFuture?: false }): TaskFuture<T>;
  submitTask<T>(task: Task<T>, opts?: SubmitTaskOptions): TaskFuture<T> | SyncFuture<T>;
  submitTask<T>(task: Task<T>, opts?: SubmitTaskOptions): TaskFuture<T> | SyncFuture<T> {
    const o = checkSubmitOptions(task, opts);
    const view = this.runView();
    if (this.released || !view.control.accepting) {
      const failure = this.startFailure;
      const why = failure ? ` (its last start() failed: ${failure.message})` : '';
      throw new LoopNotRunningError(`Cannot submit ${task.label}: loop "${this.name}" is ${this.state}${why}`, failure && { cause: failure });
    }
    const taskType = o.taskType ?? task.taskType ?? null;
    if (view.taskType !== null && taskType !== view.taskType) {
      throw new UnknownAsyncTaskError(taskType, view.taskType);
    }
    const lane = (view.lane ??= connectLane(this.slot, view.control, this.name));
    let call: Call<T>;
    if (o.signal?.aborted) {
      call = new Call<T>(0, lane, task.code);
      call.fail(new CancelledError(`${task.label} was cancelled before it was submitted`, { cause: o.signal.reason }));
    } else {
      call = lane.submit(task, taskType, o);
      if (o.signal) call.follow(o.signal);
    }
    if (submitterTraced()) traceCall(call, this.name, task.label, taskType, o.returnSyncFuture === true);
    return o.returnSyncFuture ? new SyncFuture(call) : TaskFuture.of(call);
  }

  /** The loop thread. Throws LoopNotRunningError when the loop is not running. */
  getEventLoop(): LoopHandle {
    const view = this.runView();
    if (this.released || !view.control.accepting) throw new LoopNotRunningError(`Loop "${this.name}" is ${this.state}: it has no event loop`);
    const worker = this.run?.gen === view.gen ? this.run.worker : undefined;
    const ownerOnly = (what: string) => () => {
      throw new NotOwnerError(`${what} of loop "${this.name}" is known only to its owner thread (${this.ownerThreadId})`);
    };
    return {
      threadId: worker?.threadId ?? view.control.loopThreadId,
      eventLoopUtilization: worker ? () => workerElu(worker) : ownerOnly('The event loop utilization'),
      ref: worker ? () => worker.ref() : ownerOnly('ref()'),
      unref: worker ? () => worker.unref() : ownerOnly('unref()'),
    };
  }

  stats(): LoopStats {
    const view = this.runView();
    if (view.control.state === LoopState.Idle) return { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0, spins: 0, uptime: 0 };
    const stats = view.control.stats();
    if (view.control.ended) stats.uptime = 0;
    return stats;
  }

  /** @internal What the registry snapshot says of this manager. */
  info(): ManagerInfo {
    const view = this.runView();
    return {
      id: this.id,
      name: this.name,
      ownerThreadId: this.ownerThreadId,
      state: this.state,
      taskType: view.taskType,
      loopThreadId: view.control.accepting ? view.control.loopThreadId || null : null,
    };
  }

  /** Stops the loop and removes the manager from the registry: stopped for good. */
  async [Symbol.asyncDispose](): Promise<void> {
    // Disposing twice does nothing more, as explicit resource management expects of a disposer.
    if (this.released) return;
    await this.stop();
    if (this.released) return;
    this.released = true;
    this.registry.release(this.slot);
    forgetSlot(this.slot, this);
  }

  /** Every live manager in the process, in every thread (handles for other threads' managers). */
  static allInstances(): LoopManager[] {
    return registry()
      .usedSlots()
      .map(managerForSlot)
      .filter((m): m is LoopManager => m !== undefined);
  }

  /** A snapshot of the process-wide registry: thread id -> (loop id -> manager info). */
  static registry(): ReadonlyMap<number, ReadonlyMap<LoopId, ManagerInfo>> {
    const reg = registry();
    const out = new Map<number, Map<LoopId, ManagerInfo>>();
    for (const slot of reg.usedSlots()) {
      if (!reg.isRegistered(slot)) continue;
      const info = managerForSlot(slot)?.info();
      if (!info) continue;
      let thread = out.get(info.ownerThreadId);
      if (!thread) out.set(info.ownerThreadId, (thread = new Map()));
      thread.set(info.id, info);
    }
    return out;
  }
}
