/**
 * How a thread blocks on one call of a lane (SyncFuture.result()): it drains
 * the lane, spins briefly while results are on their way, then parks in
 * Atomics.wait on its thread's wake word (channel/wake.ts; the lane's result
 * sequence for a thread without one), where the loop's results and any
 * thread that finds the loop dead wake it (wait-policy.ts says how long
 * each). It refuses a wait that could never end: a loop blocking on itself,
 * or (wait-graph.ts) on a loop that is blocked on it in turn. One per lane.
 * @internal
 */
import { nowMs } from '../clock.js';
import { C_LOOP_PARKED, C_PROGRESS, L_RES_SEQ, L_WAITING, L_WAKE_ROW, WAIT_SYNC } from '../channel/protocol.js';
import { BlockedWait } from '../channel/wait-policy.js';
import { DeadlockError, TimeoutError } from '../errors.js';
import { hostedLoopKey } from '../loop/task-context.js';
import { threadWake } from '../registry/registry.js';
import type { Call } from './call.js';
import type { LoopLink } from './loop-link.js';
import { enterBlockedWait } from './wait-graph.js';

/** What a blocking wait needs from its lane. */
export interface BlockedLane {
  /** The lane's shared words: the waiter says it waits there, and waits on the result sequence. */
  readonly words: Int32Array;
  readonly link: LoopLink;
  /** Settles every call whose result has arrived. */
  drain(): void;
  /** True when draining would settle something. */
  hasResults(): boolean;
  /** When the loop has ended, settles what it will never answer. Returns whether it has ended. */
  settleIfEnded(): boolean;
  /** Sends what this thread holds back: nothing may stay behind while it sleeps. */
  spill(): void;
}

export class BlockingWait {
  private readonly wait: BlockedWait;
  /** Where this thread parks: its wake word, or the lane's L_RES_SEQ for a thread without one. */
  private readonly parkWords: Int32Array;
  private readonly parkIndex: number;

  constructor(
    private readonly lane: BlockedLane,
    countSpin: () => void,
  ) {
    const words = lane.link.control.words;
    this.wait = new BlockedWait({ words, progressIndex: C_PROGRESS, parkedIndex: C_LOOP_PARKED, countSpin });
    const wake = threadWake();
    this.parkWords = wake?.words ?? lane.words;
    this.parkIndex = wake?.row ?? L_RES_SEQ;
    // Before the first submit: the loop reads it when it wakes this thread from a blocked wait.
    Atomics.store(lane.words, L_WAKE_ROW, wake ? wake.row + 1 : 0);
  }

  waitFor(call: Call, timeoutMs: number | undefined): void {
    const host = hostedLoopKey();
    const link = this.lane.link;
    if (host === undefined) return this.waitLoop(call, timeoutMs);
    if (host === link.loopKey) {
      throw new DeadlockError(
        `Blocking on ${call.label} from inside loop "${link.name}" would wait forever: the loop cannot run it while its thread is blocked; await the future instead`,
      );
    }
    // A loop thread: its wait is recorded, so a loop that blocks on this one in turn sees the cycle.
    const leave = enterBlockedWait(host, link.loopKey, `${call.label} in loop "${link.name}"`);
    try {
      this.waitLoop(call, timeoutMs);
    } finally {
      leave();
    }
  }

  private waitLoop(call: Call, timeoutMs: number | undefined): void {
    let giveUpAt = -1;
    const wait = this.wait;
    wait.reset();
    const lane = this.lane;
    const words = lane.words;
    for (;;) {
      lane.drain();
      if (call.settled) return;
      // Fast path: results are on their way. The clock and the loop's state are read
      // only when a spin finds nothing, or now and then while other calls' results stream in.
      if (wait.spin(this.hasResultsNow)) continue;
      const now = nowMs();
      if (giveUpAt < 0) giveUpAt = timeoutMs === undefined ? Infinity : now + timeoutMs;
      const deadline = call.deadline ?? Infinity;
      if (now >= deadline) {
        call.timeOut();
        return;
      }
      if (lane.settleIfEnded()) return;
      if (now >= giveUpAt) {
        throw new TimeoutError(`result() gave up after ${timeoutMs} ms waiting for ${call.label}; the task is still pending`);
      }
      if (lane.hasResults()) continue;
      lane.spill(); // nothing may stay behind in this thread while it sleeps
      Atomics.or(words, L_WAITING, WAIT_SYNC);
      const seq = Atomics.load(this.parkWords, this.parkIndex);
      // The loop's end is looked at after the word is read: an end marked since the look above
      // bumped the word (registry/wake.ts), so either it is seen here or the wait returns at once.
      if (!lane.hasResults() && !lane.link.control.ended) {
        Atomics.wait(this.parkWords, this.parkIndex, seq, Math.min(wait.sliceMs, deadline - now, giveUpAt - now));
      }
      Atomics.and(words, L_WAITING, ~WAIT_SYNC);
      // Only a park that brought nothing asks whether the loop thread still lives: a
      // probe is a postMessage, which would cost every wait that was answered as much as
      // the rest of the hand-off.
      if (!lane.hasResults()) {
        lane.link.probe?.();
        wait.parkedIdle();
      }
    }
  }

  /** hasResults for the spin: checks data, not the sequence word, so a result published just before the spin is not missed. */
  private readonly hasResultsNow = (): boolean => this.lane.hasResults();
}
