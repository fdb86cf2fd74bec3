/**
 * LoopManager: the owner's side of a loop. It starts and stops the loop
 * thread, watches it for death, and submits tasks through this thread's lane.
 */
import { MessageChannel, type MessagePort, threadId, Worker } from 'node:worker_threads';
import { ClientLane } from './client/client-lane.js';
import type { LoopControl, LoopStats } from './registry/control.js';
import { connectLane } from './client/remote-lane.js';
import { debug } from './debug.js';
import { newWorkerWithParentFlags } from './client/exec-argv.js';
import {
  LoopAlreadyRunningError,
  LoopNotRunningError,
  NotOwnerError,
  UnknownAsyncTaskError,
} from './errors.js';
import { Call, SyncFuture, TaskFuture } from './future.js';
import { createLaneMemory, peerAlive, PortSideChannel } from './channel/lane.js';
import {
  checkBoolean,
  checkId,
  checkKnown,
  checkOptions,
  checkTimeout,
  type LoopManagerOptions,
  type StartOptions,
  type StopOptions,
  type SubmitTaskOptions,
} from './options.js';
import { LoopState, StopMode, type LoopBootData } from './channel/protocol.js';
import { DEFAULT_LOOP_ID, registry, type LoopId, type ManagerInfo, type Registry } from './registry/registry.js';
import { checkTaskType, describe, Task } from './task.js';
import { CancelledError } from './errors.js';

export type LoopStateName = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

/** The loop's thread, as seen from outside. */
export interface LoopHandle {
  readonly threadId: number;
  eventLoopUtilization(): { idle: number; active: number; utilization: number };
  /** Makes the loop keep the process alive even when idle. */
  ref(): void;
  unref(): void;
}

/** The owner's side of one loop run: its thread and what watches it. */
interface Run {
  readonly gen: number;
  readonly key: string;
  readonly control: LoopControl;
  readonly worker: Worker;
  readonly lane: ClientLane;
  readonly lifePort: MessagePort;
  readonly exited: Promise<number>;
  lastError?: unknown;
}

const MANAGER_OPTIONS = ['id', 'name', 'resourceLimits', 'execArgv', 'env'] as const;
const SUBMIT_OPTIONS = ['returnSyncFuture', 'taskType', 'signal', 'timeoutMs', 'transfer'] as const;
const loopThreadUrl = new URL('./loop-thread.js', import.meta.url);

/** What a thread sees of the run currently in a manager's slot. */
interface RunView {
  readonly gen: number;
  readonly control: LoopControl;
  taskType: string | null;
  lane?: ClientLane;
}

/** This thread's objects for registry slots: owners and handles. */
const objects = new Map<number, LoopManager>();

/** The manager object for a slot: the owner if this thread made it, else a handle. */
export function managerForSlot(slot: number): LoopManager {
  let manager = objects.get(slot);
  if (!manager || manager.slotGone()) {
    manager = LoopManager.handle(registry(), slot);
    objects.set(slot, manager);
  }
  return manager;
}

export class LoopManager implements AsyncDisposable {
  readonly id!: LoopId;
  readonly name!: string;
  readonly ownerThreadId!: number;
  private registry!: Registry;
  private slot!: number;
  /** Owner only: how to spawn the loop thread, and the current run. */
  private workerOptions?: Pick<LoopManagerOptions, 'resourceLimits' | 'execArgv' | 'env'>;
  private run: Run | undefined;
  private cachedView: RunView | undefined;
  private released = false;

  /** Creates a manager owned by this thread and registers it for its id (replacing this thread's entry). */
  constructor(opts?: LoopManagerOptions) {
    const o = checkOptions(opts, 'new LoopManager()');
    checkKnown(o, MANAGER_OPTIONS, 'new LoopManager()');
    checkId(o.id);
    if (o.name !== undefined && typeof o.name !== 'string') throw new TypeError(`The "name" option must be a string, got ${describe(o.name)}`);
    if (o.execArgv !== undefined && (!Array.isArray(o.execArgv) || !o.execArgv.every((a) => typeof a === 'string'))) {
      throw new TypeError('The "execArgv" option must be an array of strings');
    }
    if (o.resourceLimits !== undefined && (o.resourceLimits === null || typeof o.resourceLimits !== 'object')) {
      throw new TypeError(`The "resourceLimits" option must be an object, got ${describe(o.resourceLimits)}`);
    }
    const id = (o.id as string | number | undefined) ?? DEFAULT_LOOP_ID;
    const name = (o.name as string | undefined) ?? (id === DEFAULT_LOOP_ID ? 'default' : String(id));
    const reg = registry();
    this.init(reg, reg.create(id, name), id, name, threadId);
    this.workerOptions = { resourceLimits: opts?.resourceLimits, execArgv: opts?.execArgv, env: opts?.env };
    objects.set(this.slot, this);
    debug('created manager %s (slot %d) in thread %d', name, this.slot, threadId);
  }

  private init(reg: Registry, slot: number, id: LoopId, name: string, owner: number): void {
    Object.assign(this, { registry: reg, slot, id, name, ownerThreadId: owner });
  }

  /** @internal A handle on a manager of another thread (or of another copy of sideloop in this one). */
  static handle(reg: Registry, slot: number): LoopManager {
    const handle = Object.create(LoopManager.prototype) as LoopManager;
    handle.init(reg, slot, reg.id(slot), reg.name(slot), reg.owner(slot));
    handle.released = false;
    return handle;
  }

  /** @internal Whether this object's slot has been released (or reused by another manager). */
  slotGone(): boolean {
    return this.released || !this.registry.isUsed(this.slot) || this.registry.owner(this.slot) !== this.ownerThreadId;
  }

  /** @internal The registry slot. */
  get registrySlot(): number {
    return this.slot;
  }

  /** What this thread sees of the current run; refreshed when the slot starts a new one. */
  private runView(): RunView {
    const gen = this.registry.gen(this.slot);
    let view = this.cachedView;
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
    const o = checkOptions(opts, 'start()');
    checkKnown(o, ['taskType'], 'start()');
    if (o.taskType !== undefined) checkTaskType(o.taskType, 'taskType');
    if (this.run && !this.run.control.ended) {
      throw new LoopAlreadyRunningError(`Loop "${this.name}" is already ${this.state}${this.state === 'stopping' ? '; await stop() first' : ''}`);
    }
    const taskType = (o.taskType as string | undefined) ?? null;
    this.run = this.spawn(taskType);
    debug('started loop %s (key %s, type %s)', this.name, this.run.key, taskType);
    return this;
  }

  private spawn(taskType: string | null): Run {
    const reg = this.registry;
    const gen = reg.beginRun(this.slot, taskType);
    const key = `${process.pid}.${this.slot}.${gen}`;
    const control = reg.control(this.slot, gen);
    control.startedAt = performance.timeOrigin + performance.now();
    const memory = createLaneMemory();
    const side = new MessageChannel();
    const life = new MessageChannel();
    const boot: LoopBootData & { lifePort: MessagePort } = {
      registry: reg.memory,
      slot: this.slot,
      gen,
      loopKey: key,
      name: this.name,
      taskType,
      ownerLane: { memory, laneId: 0, port: side.port2 },
      lifePort: life.port2,
    };
    const options = this.workerOptions ?? {};
    const create = (execArgv: string[]): Worker =>
      new Worker(loopThreadUrl, {
        workerData: boot,
        transferList: [side.port2, life.port2],
        ...(options.resourceLimits && { resourceLimits: options.resourceLimits }),
        execArgv,
        ...(options.env && { env: options.env }),
      });
    const worker = options.execArgv ? create([...options.execArgv]) : newWorkerWithParentFlags(create);
    worker.unref();
    life.port1.unref();
    const link = { loopKey: key, control, name: this.name, probe: () => this.probe(run) };
    let onExit!: (code: number) => void;
    const run: Run = {
      gen,
      key,
      control,
      worker,
      lane: new ClientLane(link, memory, new PortSideChannel(side.port1)),
      lifePort: life.port1,
      exited: new Promise<number>((resolve) => (onExit = resolve)),
    };
    worker.on('error', (err) => {
      run.lastError = err;
    });
    worker.on('exit', (code) => {
      this.ended(run, code);
      onExit(code);
    });
    this.cachedView = undefined;
    return run;
  }

  /** Called while this thread blocks on the loop: a loop thread that died unseen is marked crashed here. */
  private probe(run: Run): void {
    if (!run.control.ended && !peerAlive(run.lifePort)) {
      run.control.markCrashed(null, new Error('The loop thread died while its owner was blocked'));
      run.lane.onLoopEnded();
    }
  }

  private ended(run: Run, code: number): void {
    if (run.control.state !== LoopState.Stopped) {
      const cause = run.lastError ?? new Error(`The loop thread exited with code ${code}`);
      if (run.control.markCrashed(code, cause)) debug('loop %s crashed with code %d: %s', this.name, code, String(cause));
    }
    run.lane.onLoopEnded();
    run.lane.close();
    run.lifePort.close();
  }

  /**
   * Stops the loop: running tasks finish (or are cancelled with `cancelPending`),
   * then the thread exits. With `timeoutMs`, a loop still busy by then is terminated.
   */
  async stop(opts?: StopOptions): Promise<void> {
    this.assertOwner('stop');
    const o = checkOptions(opts, 'stop()');
    checkKnown(o, ['cancelPending', 'timeoutMs'], 'stop()');
    checkBoolean(o.cancelPending, 'cancelPending');
    if (o.timeoutMs !== undefined) checkTimeout(o.timeoutMs, 'timeoutMs');
    const run = this.run;
    if (!run || this.released) return;
    if (!run.control.ended) run.control.requestStop(o.cancelPending ? StopMode.CancelPending : StopMode.Graceful);
    run.worker.ref(); // a script whose last act is `await mgr.stop()` must live to see the exit
    let timer: NodeJS.Timeout | undefined;
    if (o.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        debug('loop %s did not stop within %d ms: terminating', this.name, o.timeoutMs);
        run.control.setState(LoopState.Stopped);
        void run.worker.terminate();
      }, o.timeoutMs as number);
    }
    try {
      await run.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Submits a task; see SubmitTaskOptions. Throws at once for a stopped loop, a wrong type, or uncloneable arguments. */
  submitTask<T>(task: Task<T>, opts: SubmitTaskOptions & { returnSyncFuture: true }): SyncFuture<T>;
  submitTask<T>(task: Task<T>, opts?: SubmitTaskOptions & { returnSyncFuture?: false }): TaskFuture<T>;
  submitTask<T>(task: Task<T>, opts?: SubmitTaskOptions): TaskFuture<T> | SyncFuture<T>;
  submitTask<T>(task: Task<T>, opts?: SubmitTaskOptions): TaskFuture<T> | SyncFuture<T> {
    const o = checkOptions(opts, 'submitTask()') as SubmitTaskOptions;
    checkKnown(o as Record<string, unknown>, SUBMIT_OPTIONS, 'submitTask()');
    checkTask(task);
    checkBoolean(o.returnSyncFuture, 'returnSyncFuture');
    if (o.taskType !== undefined) checkTaskType(o.taskType, 'taskType');
    if (o.timeoutMs !== undefined) checkTimeout(o.timeoutMs, 'timeoutMs');
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError(`The "signal" option must be an AbortSignal, got ${describe(o.signal)}`);
    if (o.transfer !== undefined && !Array.isArray(o.transfer)) throw new TypeError(`The "transfer" option must be an array, got ${describe(o.transfer)}`);
    const view = this.runView();
    if (this.released || !view.control.accepting) {
      throw new LoopNotRunningError(`Cannot submit ${task.label}: loop "${this.name}" is ${this.state}`);
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
      eventLoopUtilization: worker ? () => worker.performance.eventLoopUtilization() : ownerOnly('The event loop utilization'),
      ref: worker ? () => worker.ref() : ownerOnly('ref()'),
      unref: worker ? () => worker.unref() : ownerOnly('unref()'),
    };
  }

  stats(): LoopStats {
    const view = this.runView();
    if (view.control.state === LoopState.Idle) return { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0, uptime: 0 };
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
    await this.stop();
    if (this.released) return;
    this.released = true;
    this.registry.release(this.slot);
    objects.delete(this.slot);
  }

  /** Every live manager in the process, in every thread (handles for other threads' managers). */
  static allInstances(): LoopManager[] {
    return registry().usedSlots().map(managerForSlot);
  }

  /** A snapshot of the process-wide registry: thread id -> (loop id -> manager info). */
  static registry(): ReadonlyMap<number, ReadonlyMap<LoopId, ManagerInfo>> {
    const reg = registry();
    const out = new Map<number, Map<LoopId, ManagerInfo>>();
    for (const slot of reg.usedSlots()) {
      if (!reg.isRegistered(slot)) continue;
      const info = managerForSlot(slot).info();
      let thread = out.get(info.ownerThreadId);
      if (!thread) out.set(info.ownerThreadId, (thread = new Map()));
      thread.set(info.id, info);
    }
    return out;
  }
}

/** When this thread ends, its managers go too: their loops die with it, and their entries are removed. */
process.once('exit', () => {
  const reg = registry();
  for (const slot of reg.usedSlots(threadId)) {
    const control = reg.control(slot, reg.gen(slot));
    control.markCrashed(null, new Error(`The loop's owner thread (${threadId}) exited`));
    reg.release(slot);
  }
});

function checkTask(task: unknown): asserts task is Task {
  if (task instanceof Task) return;
  throw new TypeError(`submitTask() needs a Task (from defineTasks, task or inlineTask), got ${describe(task)}`);
}
