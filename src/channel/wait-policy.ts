/**
 * How every waiter in sideloop waits, in one place: the thread blocked in
 * `result()`, the thread awaiting futures, and the loop thread between
 * requests. Each first stays hot (a hand-off between two running threads
 * costs well under a microsecond, a futex wake-up tens of microseconds), then
 * parks (an idle thread must cost nothing). The constants and the decisions
 * live here; the waiters only do what these say.
 * @internal
 */

/** What a non-blocking waiter (the loop thread, an awaiting thread) does next. */
export const enum Step {
  /** Look again from the microtask queue: fastest, but nothing else on the event loop runs. */
  Hot = 0,
  /** Look again once per event-loop turn (setImmediate): timers and I/O run meanwhile. */
  Poll = 1,
  /** Park in Atomics.waitAsync until woken, or until the slice ends. */
  Park = 2,
}

// ---- the blocked caller (SyncFuture.result()) ----

/**
 * How long a blocked caller spins before it parks. By the clock, not by a
 * count of iterations: a faster engine (Node 24's JIT) ran the same count in
 * a fifth of the time, gave up early and paid for futex wake-ups instead.
 */
export const BLOCKED_SPIN_MS = 0.05;
/** Checks between two looks at the clock (one costs ~0.05 us). */
export const BLOCKED_SPIN_CHECKS = 256;
/**
 * A blocked caller parks in slices, so it notices a loop death nobody
 * announced: the first slice is short, and each quiet one doubles, so a long
 * wait wakes rarely yet a death is still seen within half a second.
 */
export const BLOCKED_FIRST_SLICE_MS = 50;
export const BLOCKED_MAX_SLICE_MS = 400;
/** While results stream in, every this many rounds the caller skips the spin to read the clock and the loop's state. */
export const BLOCKED_CLOCK_EVERY = 64;

/**
 * One blocked wait's progress: whether to spin this round and how long to park.
 * A lane keeps one and resets it per wait, so blocking allocates nothing.
 */
export class BlockedWait {
  private rounds = 0;
  private slice = BLOCKED_FIRST_SLICE_MS;

  reset(): void {
    this.rounds = 0;
    this.slice = BLOCKED_FIRST_SLICE_MS;
  }

  /**
   * Spins until `ready()`; false when this round does not spin or the spin
   * ran out. Every BLOCKED_CLOCK_EVERY-th round, and every round after a
   * park that found nothing, returns false at once.
   */
  spin(ready: () => boolean): boolean {
    if ((++this.rounds & (BLOCKED_CLOCK_EVERY - 1)) === 0) return false;
    const until = performance.now() + BLOCKED_SPIN_MS;
    do {
      for (let i = 0; i < BLOCKED_SPIN_CHECKS; i++) if (ready()) return true;
    } while (performance.now() < until);
    return false;
  }

  /** How long the next park may last, before the caller's own deadlines. */
  get sliceMs(): number {
    return this.slice;
  }

  /** A park ended with nothing to take: park again without spinning, and longer, so a long wait costs no CPU. */
  parkedIdle(): void {
    this.rounds = BLOCKED_CLOCK_EVERY - 1;
    this.slice = Math.min(this.slice * 2, BLOCKED_MAX_SLICE_MS);
  }
}

// ---- the awaiting caller (ResultPoller) ----

/** How long an awaiting thread polls after activity: in the microtask queue, then per event-loop turn. */
export const AWAIT_HOT_MS = 0.02;
export const AWAIT_POLL_MS = 0.3;
/** A parked poller wakes this often even without results, to notice a loop death nobody announced. */
export const AWAIT_SLICE_MS = 1000;

/** What an awaiting thread does `quietMs` after its last submit or result. */
export function awaitStep(quietMs: number): Step {
  return stepAfter(quietMs, AWAIT_HOT_MS, AWAIT_POLL_MS);
}

// ---- the loop thread (LoopRuntime's pump) ----

/**
 * After activity the loop first spins in the microtask queue (a submitter's
 * next request is seen within a fraction of a microsecond, and tasks that
 * only await promises run meanwhile), then polls once per event-loop turn
 * (timers and I/O run), then parks. Both windows are short, so an idle loop
 * costs nothing. One event-loop turn costs ~10 us here; a microtask ~0.1 us.
 */
export const LOOP_HOT_MS = 0.1;
export const LOOP_POLL_MS = 0.5;
/** A parked loop looks for work this often even without a doorbell: a few microseconds a second. */
export const LOOP_SLICE_MS = 2000;
/** Reading the clock costs as much as a pump: an idle pump looks at it every this many (a power of two). */
export const LOOP_CLOCK_EVERY = 16;

/** What the loop does `quietMs` after it last found work. */
export function loopStep(quietMs: number): Step {
  return stepAfter(quietMs, LOOP_HOT_MS, LOOP_POLL_MS);
}

/** Hot for `hotMs` after activity, then polling until `pollMs`, then parked. */
function stepAfter(quietMs: number, hotMs: number, pollMs: number): Step {
  return quietMs < hotMs ? Step.Hot : quietMs < pollMs ? Step.Poll : Step.Park;
}
