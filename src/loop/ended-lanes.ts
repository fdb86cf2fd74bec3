/**
 * Lanes of submitting threads that ended. A thread that used a loop through a
 * handle and then exited leaves its lane behind in the loop thread: its rings
 * (~130 KB), the tasks still running for it, and the submits it made but the
 * loop never took (queued in the dead thread, or still in the ring), which
 * would read as pending forever. When the thread table says the thread ended,
 * the loop drops the lane: its running tasks are aborted and counted
 * cancelled, and so are the submits it never took (counted started too, so
 * stats() adds up).
 * @internal
 */
import { C_CANCELLED, C_STARTED } from '../channel/protocol.js';
import { CancelledError } from '../errors.js';
import type { LoopControl } from '../registry/control.js';
import type { Job } from './job.js';
import type { LoopLane } from './loop-lane.js';

/** What the loop needs to know of the thread table. */
export interface ThreadWatch {
  /** Bumped whenever a thread is found ended: nothing to look at while it stays put. */
  deaths(): number;
  /** Whether the thread has certainly ended. */
  ended(threadId: number): boolean;
}

export class EndedLanes {
  private deathsSeen: number;

  constructor(
    private readonly watch: ThreadWatch,
    private readonly control: LoopControl,
  ) {
    this.deathsSeen = watch.deaths();
  }

  /** Drops the lanes (from `lanes`, in place) whose submitting thread has ended since the last look. Cheap when none did. */
  drop(lanes: LoopLane[], loopName: string): void {
    const deaths = this.watch.deaths();
    if (deaths === this.deathsSeen) return;
    this.deathsSeen = deaths;
    for (let i = lanes.length - 1; i >= 0; i--) {
      const lane = lanes[i]!;
      if (lane.threadId < 0 || !this.watch.ended(lane.threadId)) continue;
      lanes.splice(i, 1);
      this.settle(lane, loopName);
    }
  }

  private settle(lane: LoopLane, loopName: string): void {
    for (const job of lane.running.takeAll() as Job[]) {
      if (job.timer) clearTimeout(job.timer);
      this.control.count(C_CANCELLED);
      job.abort(new CancelledError(`${job.label} was cancelled: the thread that submitted it to loop "${loopName}" ended`));
    }
    const neverTaken = (lane.submitsMade() - lane.started) | 0;
    if (neverTaken > 0) {
      this.control.count(C_STARTED, neverTaken);
      this.control.count(C_CANCELLED, neverTaken);
    }
    lane.close();
  }
}
