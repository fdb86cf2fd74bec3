/**
 * One task in a loop, from submit to settle; also the task's scope for
 * currentSignal(). The AbortController is made only when someone asks for
 * the signal: most tasks never do, and making one costs more than the call.
 * @internal
 */
import type { LoopLane } from './loop-lane.js';

/** Where a job's outcome goes: the loop runtime. */
export interface JobSink {
  finish(job: Job, ok: boolean, value: unknown): void;
}

export class Job {
  private ac: AbortController | undefined;
  private reason: unknown;
  aborted = false;
  timer: NodeJS.Timeout | undefined;
  /** nowMs() as the function was called; set only under NODE_DEBUG=sideloop (slow tasks). */
  startedAt = 0;
  /** Its function was called outside the task scope (task-context.ts: scopes are made once wanted). */
  unscoped = false;

  constructor(
    private readonly sink: JobSink,
    readonly lane: LoopLane,
    /** The call id. */
    readonly id: number,
    readonly label: string,
  ) {}

  get signal(): AbortSignal {
    this.ac ??= new AbortController();
    if (this.aborted && !this.ac.signal.aborted) this.ac.abort(this.reason);
    return this.ac.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.ac?.abort(reason);
  }

  readonly resolve = (value: unknown): void => this.sink.finish(this, true, value);
  readonly reject = (error: unknown): void => this.sink.finish(this, false, error);
}
