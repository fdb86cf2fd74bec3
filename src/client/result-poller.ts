/**
 * How a submitting thread waits for the results of awaited calls without
 * blocking: right after a submit or a result it polls (first in the microtask
 * queue, then once per event-loop turn, so I/O and timers run), as a
 * waitAsync wake-up costs tens of microseconds; once quiet it parks in
 * Atomics.waitAsync, costing nothing (wait-policy.ts says how long each). One per lane.
 */
import { nowMs } from '../clock.js';
import { deathCount } from '../registry/reaper.js';
import type { Call } from './call.js';
import { hold, release } from './keep-alive.js';
import { unwatchEnds, watchEnds } from './end-watch.js';
import { L_RES_SEQ, L_WAITING, WAIT_ASYNC } from '../channel/protocol.js';
import { AWAIT_BLOCK_MS, AWAIT_BLOCK_PAYS_MS, AWAIT_HOT_WAKES, AWAIT_MAY_BLOCK, AWAIT_SLICE_MS, Backoff, type PollingWait, type ProgressWatch, Step, awaitWait } from '../channel/wait-policy.js';
import { policyCounter } from '../debug.js';

// A resolved promise's then is the cheapest way into the microtask queue (queueMicrotask wraps each callback).
const settledPromise = Promise.resolve();

/** How often an awaiting thread blocked for its results (debug.ts, policyCounter). */
const countBlock = policyCounter('awaitBlocks');

/** What the poller needs from its lane. */
export interface PolledLane {
  /** The lane's shared words: the poller says it waits there, and waits on the result sequence. */
  readonly words: Int32Array;
  /** The loop's progress word: polling stops when the loop is not running. */
  readonly progress: ProgressWatch;
  /** Counts an idle period that polled (stats().spins). */
  countSpin(): void;
  hasResults(): boolean;
  /** Settles every call whose result has arrived, and those the loop will never answer; true once the loop has ended. */
  settleArrived(): boolean;
  /** Checks that the loop thread is alive (owner only). */
  probe?(): void;
  /** This thread does not run the lane's loop: blocking it could not make the loop answer sooner (AWAIT_MAY_BLOCK). */
  readonly mayBlock: boolean;
  /** A handle's cheap liveness check, made while parked (end-watch.ts). */
  readonly poll?: (() => void) | undefined;
}

export class ResultPoller {
  private watched = 0;
  private armed = false;
  /** nowMs() of the last awaited submit or result: the poller polls for a while after it. */
  private activeAt = 0;
  /** An awaited submit since the clock was last read (reading it per submit would cost more than the flag). */
  private submitted = false;

  private readonly wait: PollingWait;
  /** Parked in Atomics.waitAsync. */
  private parked = false;
  /** Whether a park may block for its results first (AWAIT_MAY_BLOCK, and not the loop's own thread), from how the last blocks went. */
  private readonly blockBackoff: Backoff;
  /** Parks in a row that settled their results from a microtask, without a turn of the event loop (AWAIT_HOT_WAKES). */
  private hotWakes = 0;
  /** Ticks of the watchdog interval during the current park. */
  private quietSlices = 0;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private deathsSeen = deathCount();

  constructor(private readonly lane: PolledLane) {
    this.wait = awaitWait(lane.countSpin, lane.progress);
    this.blockBackoff = new Backoff(AWAIT_MAY_BLOCK && lane.mayBlock);
  }

  /** Someone awaits `call`: keep this thread alive and look for its result until it settles. */
  watch(call: Call): void {
    this.submitted = true;
    call.watched = true;
    this.watched++;
    hold();
    if (call.deadline !== undefined) armTimeout(call, call.deadline);
    this.arm();
  }

  /** The lane is done with: stop the watchdog (it holds the lane). */
  close(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /** A watched call has settled. */
  unwatch(call: Call): void {
    call.watched = false;
    this.watched--;
    release();
  }

  private arm(): void {
    if (this.armed || this.watched === 0) return;
    this.armed = true;
    const now = nowMs();
    if (this.submitted) {
      this.submitted = false;
      this.wait.active(now, this.activeAt, false);
      this.activeAt = now;
    }
    const step = this.wait.step(now, this.activeAt);
    if (step === Step.Hot) void settledPromise.then(this.onPoll);
    else if (step === Step.Poll) setImmediate(this.onPoll);
    else this.park();
  }

  private park(): void {
    const words = this.lane.words;
    Atomics.or(words, L_WAITING, WAIT_ASYNC);
    const seq = Atomics.load(words, L_RES_SEQ);
    // Results already there, or (one core) there after a brief block: settled without parking.
    if (this.lane.hasResults() || (this.blockBackoff.shouldTry() && this.blockFor(seq))) {
      if (++this.hotWakes < AWAIT_HOT_WAKES) void settledPromise.then(this.onWake);
      else {
        this.hotWakes = 0;
        setImmediate(this.onWake);
      }
      return;
    }
    this.hotWakes = 0; // the event loop turns before a waitAsync settles
    // No timeout: a waitAsync with one costs a timer per park (~10 us a call); one interval,
    // made at the first park, looks after every park instead.
    this.parked = true;
    this.watchdog ??= setInterval(this.onSlice, AWAIT_SLICE_MS).unref();
    const waited = Atomics.waitAsync(words, L_RES_SEQ, seq);
    if (waited.async) {
      void waited.value.then(this.onWake);
      // A loop that died with its owner cannot notify the word: whoever found it dead wakes this thread.
      watchEnds(this.onEnd, this.lane.poll);
    } else setImmediate(this.onWake);
  }

  /** One core (AWAIT_MAY_BLOCK): blocks until results come or AWAIT_BLOCK_MS pass; whether they came. */
  private blockFor(seq: number): boolean {
    const from = nowMs();
    countBlock();
    Atomics.wait(this.lane.words, L_RES_SEQ, seq, AWAIT_BLOCK_MS);
    const came = this.lane.hasResults();
    if (came && nowMs() - from <= AWAIT_BLOCK_PAYS_MS) this.blockBackoff.succeeded();
    else this.blockBackoff.failed();
    return came;
  }

  /** A loop run ended somewhere (end-watch.ts): look at this lane's loop now. */
  private readonly onEnd = (): void => {
    Atomics.notify(this.lane.words, L_RES_SEQ);
  };

  /** Every AWAIT_SLICE_MS: a poller parked all along wakes itself, to notice a loop death nobody announced. */
  private readonly onSlice = (): void => {
    if (!this.parked) return;
    // A thread was found ended (reaper.ts): look now, not a quiet slice later.
    const deaths = deathCount();
    if (deaths !== this.deathsSeen) {
      this.deathsSeen = deaths;
      this.quietSlices = 2;
      Atomics.notify(this.lane.words, L_RES_SEQ);
      return;
    }
    if (++this.quietSlices < 2) return; // parked for a whole slice, not only since the last tick
    Atomics.notify(this.lane.words, L_RES_SEQ);
  };

  private readonly onPoll = (): void => {
    this.armed = false;
    if (this.lane.hasResults()) this.resultsAt(nowMs());
    this.lane.settleArrived();
    this.arm();
  };

  /** Results came (or a wake-up): a new idle period starts at `now`. */
  private resultsAt(now: number): void {
    this.wait.active(now, this.activeAt, true);
    this.activeAt = now;
  }

  private readonly onWake = (): void => {
    this.armed = false;
    this.parked = false;
    unwatchEnds(this.onEnd);
    const quiet = this.quietSlices >= 2;
    this.quietSlices = 0;
    Atomics.and(this.lane.words, L_WAITING, ~WAIT_ASYNC);
    this.resultsAt(nowMs()); // results tend to come in bursts: poll for the next ones
    // A quiet slice may hide a death nobody announced; the owner's Worker 'exit' event covers the rest.
    if (!this.lane.settleArrived() && quiet) this.lane.probe?.();
    this.arm();
  };
}

/** Cancels `call` with a TimeoutError at `deadline` (a nowMs() time) unless it settles first. */
function armTimeout(call: Call, deadline: number): void {
  const timer = setTimeout(() => call.timeOut(), deadline - nowMs());
  timer.unref();
  call.addCleanup(() => clearTimeout(timer));
}
