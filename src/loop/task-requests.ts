/**
 * What a loop does with each request a lane carries: a DefineFn declares a
 * function, a Submit starts a task (a Job) on this thread's event loop, a
 * Cancel aborts one. The job's outcome goes to the loop runtime (its
 * JobSink), which answers the lane.
 * @internal
 */
import { nowMs } from '../clock.js';
import type { ByteReader } from '../channel/codec.js';
import { C_CANCELLED, C_STARTED } from '../channel/protocol.js';
import { FnKind, Req, newSubmitHead, readCancel, readDefineFn, readRequestKind, readSubmitArgs, readSubmitHead } from '../channel/records.js';
import { debugEnabled } from '../debug.js';
import { channels, traceStart } from '../diagnostics.js';
import { CancelledError, LoopNotRunningError, TimeoutError, UnknownAsyncTaskError } from '../errors.js';
import type { LoopControl } from '../registry/control.js';
import { taskLabel } from '../task.js';
import { Job, type JobSink } from './job.js';
import type { LoopLane } from './loop-lane.js';
import type { LoopThreadContext } from './task-context.js';
import { resolveTask, type TaskFunction } from './task-resolver.js';

/** Where jobs' outcomes go: the loop runtime, which also counts them (`counter`: a stats word). */
export interface TaskSink extends JobSink {
  finish(job: Job, ok: boolean, value: unknown, counter?: number): void;
}

/** What the requests of a loop run need to know about it. */
export interface TaskRequestsOptions {
  readonly control: LoopControl;
  readonly name: string;
  readonly taskType: string | null;
  /** currentSignal()'s context: tasks run in its scope once it is wanted (task-context.ts). */
  readonly context: LoopThreadContext;
  /** True once the loop is stopping: it takes no new tasks. */
  readonly stopping: () => boolean;
}

/** A function a lane declared, resolved on its first call. */
interface FnSlot {
  readonly kind: FnKind;
  readonly target: string;
  readonly name: string;
  readonly label: string;
  resolved?: TaskFunction | Promise<TaskFunction>;
}

export class TaskRequests {
  private readonly submit = newSubmitHead();

  constructor(
    private readonly opts: TaskRequestsOptions,
    private readonly sink: TaskSink,
  ) {}

  /** The lanes' RequestHandler (loop-lane.ts). */
  readonly onRequest = (lane: LoopLane, r: ByteReader, sideArgs: unknown[] | undefined): void => {
    const kind = readRequestKind(r);
    if (kind === Req.Submit) return this.onSubmit(lane, r, sideArgs);
    if (kind === Req.DefineFn) {
      const { fnId, kind: fnKind, target, name } = readDefineFn(r);
      const label = taskLabel(fnKind === FnKind.Module ? 'module' : 'inline', target, name);
      lane.fns.set(fnId, { kind: fnKind, target, name, label } satisfies FnSlot);
      return;
    }
    if (kind === Req.Cancel) this.onCancel(lane, r);
  };

  private onCancel(lane: LoopLane, r: ByteReader): void {
    const { callId, timedOut } = readCancel(r);
    const job = lane.running.take(callId) as Job | undefined;
    if (job) {
      if (job.timer) clearTimeout(job.timer);
      this.opts.control.count(C_CANCELLED);
      job.abort(timedOut ? new TimeoutError(`${job.label} timed out`) : new CancelledError(`${job.label} was cancelled`));
    } else if (lane.isNewCall(callId)) {
      lane.cancelledEarly.add(callId);
    }
  }

  private onSubmit(lane: LoopLane, r: ByteReader, sideArgs: unknown[] | undefined): void {
    const head = this.submit;
    readSubmitHead(r, head);
    const { callId, fnId, timeoutMs, taskType } = head;
    if (lane.isNewCall(callId)) lane.maxCallId = callId;
    const slot = lane.fns.get(fnId) as FnSlot | undefined;
    const job = new Job(this.sink, lane, callId, slot?.label ?? 'a task');
    const control = this.opts.control;
    control.count(C_STARTED);
    lane.started = (lane.started + 1) | 0;
    if (lane.cancelledEarly.size > 0 && lane.cancelledEarly.delete(callId)) {
      control.count(C_CANCELLED);
      return;
    }
    lane.running.add(job);
    let args: unknown[];
    try {
      args = readSubmitArgs(r, head, sideArgs);
    } catch (err) {
      return job.reject(err);
    }
    const { name, taskType: loopType } = this.opts;
    if (this.opts.stopping()) return job.reject(new LoopNotRunningError(`Loop "${name}" is stopping and takes no new tasks`));
    if (loopType !== null && taskType !== loopType) return job.reject(new UnknownAsyncTaskError(taskType, loopType));
    if (!slot) return job.reject(new Error(`sideloop: unknown function id ${fnId}`));
    if (timeoutMs !== undefined) {
      job.timer = setTimeout(() => {
        const error = new TimeoutError(`${job.label} did not finish within ${timeoutMs} ms`);
        job.abort(error);
        // Counted as cancelled, as a timeout the caller's side noticed first is.
        this.sink.finish(job, false, error, C_CANCELLED);
      }, timeoutMs);
    }
    this.run(job, slot, args);
  }

  /** Resolves the job's function (importing its module on first use) and invokes it. */
  private run(job: Job, slot: FnSlot, args: unknown[]): void {
    let resolved = slot.resolved;
    if (resolved === undefined) {
      try {
        resolved = slot.resolved = resolveTask(slot.kind, slot.target, slot.name);
      } catch (err) {
        return job.reject(err);
      }
    }
    if (typeof resolved === 'function') return this.invoke(job, resolved, args);
    resolved.then(
      (fn) => {
        slot.resolved = fn;
        if (!job.aborted) this.invoke(job, fn, args);
      },
      (err) => {
        slot.resolved = undefined; // retry the import on the next call
        job.reject(err);
      },
    );
  }

  private invoke(job: Job, fn: TaskFunction, args: unknown[]): void {
    if (channels.start.hasSubscribers) traceStart(this.opts.name, job.label, job.lane.threadId, job.id);
    if (debugEnabled) job.startedAt = nowMs();
    const context = this.opts.context;
    let out: unknown;
    try {
      if (context.scoped) out = context.scope.run(job, fn, ...args);
      else {
        job.unscoped = true;
        context.calling = job;
        out = fn(...args);
      }
    } catch (err) {
      return job.reject(err);
    } finally {
      context.calling = undefined;
    }
    if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
      (out as PromiseLike<unknown>).then(job.resolve, job.reject);
    } else {
      job.resolve(out);
    }
  }
}
