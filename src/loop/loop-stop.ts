/**
 * How a loop run ends on its thread: a stop its owner asked for (graceful, or
 * cancelling the running tasks, at once or once the owner's stop timeout ran
 * out), or the thread exiting without one (an uncaught error, process.exit()
 * in a task). Either way every submitter is woken to read the outcome.
 * @internal
 */
import { C_CANCELLED, LoopState, StopMode } from '../channel/protocol.js';
import { debug } from '../debug.js';
import { CancelledError } from '../errors.js';
import type { LoopControl } from '../registry/control.js';
import type { EndedLanes } from './ended-lanes.js';
import type { Job } from './job.js';
import type { LoopLanes } from './loop-lanes.js';

/** What a stop needs from the loop runtime. */
export interface StopHost {
  readonly control: LoopControl;
  readonly name: string;
  readonly lanes: LoopLanes;
  readonly endedLanes: EndedLanes | undefined;
  /** Settles a job with its outcome and tells its submitter (LoopRuntime.finish). */
  finish(job: Job, ok: boolean, value: unknown, counter: number): void;
  /** Publishes what the lanes hold to their submitters. */
  announceAll(): void;
  /** Ends the thread (process.exit in a loop thread). */
  exit(code: number): void;
}

export class LoopStop {
  /** A stop has begun: new requests are refused, and the thread exits once no task runs. */
  stopping = false;
  /** Running tasks were cancelled for a stop (asked at once, or once the owner's stop timeout ran out). */
  private cancelledForStop = false;
  private crashCause: unknown;

  constructor(private readonly host: StopHost) {}

  /** A stop was asked and not begun yet, or a graceful stop has been escalated to cancelling. */
  asked(): boolean {
    const mode = this.host.control.stopMode;
    return mode !== StopMode.None && (!this.stopping || (mode === StopMode.CancelPending && !this.cancelledForStop));
  }

  begin(): void {
    const host = this.host;
    this.stopping = true;
    if (host.control.stopMode === StopMode.CancelPending && !this.cancelledForStop) {
      this.cancelledForStop = true;
      for (const lane of host.lanes.all) {
        for (const job of lane.running.list() as Job[]) {
          const error = new CancelledError(`${job.label} was cancelled: loop "${host.name}" is stopping`);
          job.abort(error);
          host.finish(job, false, error, C_CANCELLED);
        }
      }
    }
    this.finishIfIdle();
  }

  /** Ends the stop once no task runs: the loop reads stopped, every submitter is woken, the thread exits. */
  finishIfIdle(): void {
    const { lanes, endedLanes, name } = this.host;
    // Lanes of threads that ended go first: their held task output (up to MAX_HELD_RECORDS, one
    // message each) was spilled to a thread that is gone, which took seconds under load, past the
    // stop's timeout; the thread was then terminated, losing the output it had sent the usual way.
    endedLanes?.drop(lanes.all, name);
    if (lanes.all.some((lane) => lane.running.size > 0)) return;
    debug('loop %s: stopped, its thread exits', name);
    for (const lane of lanes.all) lane.answers.spill();
    this.host.announceAll();
    this.host.control.setState(LoopState.Stopped);
    for (const lane of lanes.all) lane.answers.wake();
    this.host.exit(0);
  }

  /** The error that is about to end the thread: the first uncaught one. */
  noteUncaught(err: unknown): void {
    this.crashCause ??= err;
  }

  /** The thread is exiting: unless the loop stopped, mark it crashed and wake every submitter. */
  onExit(exitCode: number): void {
    const { control, lanes, name } = this.host;
    if (control.state === LoopState.Stopped) return;
    // An uncaught error ends a thread with code 1. Bun's workers exit with 0 after one under
    // `bun test`, and after an unhandled rejection anywhere: report what Node reports.
    const code = exitCode === 0 && this.crashCause !== undefined ? 1 : exitCode;
    debug('loop %s: its thread is exiting with code %d: %s', name, code, String(this.crashCause ?? 'process.exit() in the loop thread'));
    control.markCrashed(code, this.crashCause ?? new Error(`process.exit(${code}) was called in the loop thread`));
    for (const lane of lanes.all) lane.answers.wake();
  }
}
