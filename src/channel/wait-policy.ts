/**
 * How every waiter in sideloop waits, in one place: the thread blocked in
 * `result()`, the thread awaiting futures, and the loop thread between
 * requests. The constants and the decisions live here; the waiters only do
 * what these say.
 *
 * Staying hot (spinning, or polling from the microtask queue) makes a hand-off
 * between two running threads cost well under a microsecond, where a futex
 * wake-up costs tens. But it pays only when the other thread is running at
 * that moment: when it shares the spinner's core, or the scheduler gave its
 * core to another process, every hand-off costs the whole spin, and long
 * tasks pay the spin in CPU. So each waiter spins only while what it sees says
 * spinning pays:
 *
 * - cores: a thread that may use one core (os.availableParallelism() honours
 *   CPU affinity, so `taskset -c 0` and a one-CPU container count) never spins;
 * - progress: the loop thread bumps a word while it runs (C_PROGRESS), and a
 *   caller spinning for its answer stops once the word stands still;
 * - recent waits: a waiter whose spin ran out (or stopped for lack of progress)
 *   skips spinning for its next waits, twice as many after each failure up to
 *   MAX_SKIP, then tries again (an adaptive mutex); a spin that finds what it
 *   waited for halves that. So a lane whose calls take longer than a spin
 *   (a 1 ms task) parks at once, and its CPU goes to the task.
 *
 * Where the runtime has Atomics.pause, spins use it. stats().spins counts the
 * waits that spun, so a test can see the policy's decisions without timing them.
 * @internal
 */
import { nowMs } from '../clock.js';
import { availableParallelism, cpus } from 'node:os';
import { awaitBlockPays } from '../runtime.js';

/** What a non-blocking waiter (the loop thread, an awaiting thread) does next. */
export const enum Step {
  /** Look again from the microtask queue: fastest, but nothing else on the event loop runs. */
  Hot = 0,
  /** Look again once per event-loop turn (setImmediate): timers and I/O run meanwhile. */
  Poll = 1,
  /** Park in Atomics.waitAsync until woken (without a timeout: an interval of the waiter looks after missed wake-ups and deaths). */
  Park = 2,
}

// ---- what every waiter shares ----

/** Cores this thread may run on, read once per thread (affinity is set before a process starts, as a rule). */
export const CORES = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
/** With one core, the thread a spinner waits for cannot run until the spinner stops: never spin. */
export const SPIN_ALLOWED = CORES > 1;

/**
 * A test seam: a number at globalThis[Symbol.for('sideloop.test.parkSliceMs')], set before
 * sideloop loads in a thread, replaces that thread's park slices (BLOCKED_*_SLICE_MS,
 * AWAIT_SLICE_MS), so a test can show that a loop's death wakes a waiter, not a slice's end.
 */
const testSliceMs = (globalThis as Record<symbol, unknown>)[Symbol.for('sideloop.test.parkSliceMs')];
const sliceMs = (ms: number): number => (typeof testSliceMs === 'number' && testSliceMs > 0 ? testSliceMs : ms);

/** After a failed spin a waiter skips 1, then 2, 4, ... up to this many waits before it tries again. */
export const MAX_SKIP = 32;

/**
 * Adaptive trying, as an adaptive mutex spins: try again only after enough waits skipped the try
 * since the last failure. What is tried is the waiter's: a spin (BlockedWait), a poll
 * (PollingWait), a brief block (AWAIT_MAY_BLOCK).
 */
export class Backoff {
  private skip = 0;
  private left = 0;

  /** `allowed`: whether this waiter may ever try (a spin needs a second core; see AWAIT_MAY_BLOCK for another use). */
  constructor(private readonly allowed = SPIN_ALLOWED) {}

  /** Whether this wait may try; counts a skipped wait. */
  shouldTry(): boolean {
    if (!this.allowed) return false;
    if (this.left === 0) return true;
    this.left--;
    return false;
  }

  /**
   * The try found what it waited for: try on the next wait, and after the
   * next failure skip half as many as last time. Halving, not forgetting: on a
   * loaded machine a spin that fails most of the time still succeeds now and
   * then, and must not buy a run of failures at full price.
   */
  succeeded(): void {
    this.skip >>>= 1;
    this.left = 0;
  }

  /** The try ran out, or the peer stopped making progress: skip twice as many waits as last time. */
  failed(): void {
    this.skip = Math.min(MAX_SKIP, this.skip * 2 || 1);
    this.left = this.skip;
  }
}

/** A spinner gives up when the loop thread's progress word has not moved for this long. */
export const STALL_MS = 0.02;

/** Watches the loop thread's progress word (C_PROGRESS): whether the loop has run lately. */
export class ProgressWatch {
  private seen = 0;
  private movedAt = 0;

  constructor(
    private readonly words: Int32Array,
    private readonly index: number,
  ) {}

  /** Starts watching at `now`. */
  start(now: number): void {
    this.seen = Atomics.load(this.words, this.index);
    this.movedAt = now;
  }

  /** True when the word has not moved for STALL_MS up to `now`. */
  stalled(now: number): boolean {
    const current = Atomics.load(this.words, this.index);
    if (current !== this.seen) {
      this.seen = current;
      this.movedAt = now;
      return false;
    }
    return now - this.movedAt > STALL_MS;
  }
}

/** Atomics.pause (Node 24+): tells the CPU this is a spin, which frees the core's sibling hyperthread and saves power. */
const pauseFn = (Atomics as unknown as { pause?: () => void }).pause;
const relax: () => void = typeof pauseFn === 'function' ? pauseFn : () => {};

// ---- the blocked caller (SyncFuture.result()) ----

/**
 * How long a blocked caller spins before it parks. By the clock, not by a
 * count of iterations: a faster engine (Node 24's JIT) ran the same count in
 * a fifth of the time, gave up early and paid for futex wake-ups instead.
 */
export const BLOCKED_SPIN_MS = 0.05;
/** Checks between two looks at the clock and at the loop's progress (one look costs ~0.05 us). */
export const BLOCKED_SPIN_CHECKS = 256;
/**
 * A blocked caller parks in slices, so it notices a loop death nobody
 * announced: the first slice is short, and each quiet one doubles, so a long
 * wait wakes rarely yet a death is still seen within half a second.
 */
export const BLOCKED_FIRST_SLICE_MS = sliceMs(50);
export const BLOCKED_MAX_SLICE_MS = sliceMs(400);
/** While results stream in, every this many rounds the caller skips the spin to read the clock and the loop's state. */
export const BLOCKED_CLOCK_EVERY = 64;

/** What a blocked wait needs to know about the loop it waits for. */
export interface SpinTarget {
  /** The loop's control words: its progress word and whether it is parked. */
  readonly words: Int32Array;
  readonly progressIndex: number;
  readonly parkedIndex: number;
  /** Counts a wait that spun (stats().spins). */
  countSpin(): void;
}

/**
 * A lane's blocked waits: whether to spin this round and how long to park.
 * A lane keeps one and resets it per wait, so blocking allocates nothing; what
 * it learns about spinning (its Backoff) carries over from wait to wait.
 */
export class BlockedWait {
  private rounds = 0;
  private slice = BLOCKED_FIRST_SLICE_MS;
  /** This wait has spun already, and that spin failed: it parks from now on. */
  private gaveUp = false;
  private readonly backoff = new Backoff();
  private readonly progress: ProgressWatch;

  constructor(private readonly target: SpinTarget) {
    this.progress = new ProgressWatch(target.words, target.progressIndex);
  }

  reset(): void {
    this.rounds = 0;
    this.slice = BLOCKED_FIRST_SLICE_MS;
    this.gaveUp = false;
  }

  /**
   * Spins until `ready()`; false when this round does not spin or the spin
   * ran out. Every BLOCKED_CLOCK_EVERY-th round, and every round after a
   * park that found nothing, returns false at once.
   */
  spin(ready: () => boolean): boolean {
    if ((++this.rounds & (BLOCKED_CLOCK_EVERY - 1)) === 0 || this.gaveUp) return false;
    // A parked loop needs a wake-up (tens of microseconds) before it can answer: do not spin through it.
    if (Atomics.load(this.target.words, this.target.parkedIndex) !== 0) return false;
    if (!this.backoff.shouldTry()) {
      this.gaveUp = true;
      return false;
    }
    // The first checks go before any clock read: a hand-off between running threads takes less.
    for (let i = 0; i < BLOCKED_SPIN_CHECKS; i++) {
      if (ready()) return this.spun(true);
      relax();
    }
    const start = nowMs();
    const until = start + BLOCKED_SPIN_MS;
    this.progress.start(start);
    for (;;) {
      for (let i = 0; i < BLOCKED_SPIN_CHECKS; i++) {
        if (ready()) return this.spun(true);
        relax();
      }
      const now = nowMs();
      if (now >= until || this.progress.stalled(now)) return this.spun(false);
    }
  }

  private spun(found: boolean): boolean {
    this.target.countSpin();
    if (found) this.backoff.succeeded();
    else {
      this.backoff.failed();
      this.gaveUp = true;
    }
    return found;
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

// ---- polling waiters: the awaiting caller and the loop thread ----

/**
 * A waiter that, after activity, looks again from the microtask queue for
 * `hotMs`, then once per event-loop turn until `pollMs`, then parks. An idle
 * period that polled and found nothing, or found it only after the hot
 * window, makes the next ones park at once (Backoff); so does, for a waiter given the loop's progress word, a loop that
 * stopped running; on one core every idle period parks at once.
 */
export class PollingWait {
  private readonly backoff = new Backoff();
  /** Whether the current idle period polls (decided when it starts). */
  private polling = false;
  private idle = false;
  /** The current period polls and is not counted yet: it is once it outlasts its first look. */
  private uncounted = false;

  constructor(
    private readonly hotMs: number,
    private readonly pollMs: number,
    /** Counts an idle period that polled past its first look (stats().spins). */
    private readonly countSpin: () => void,
    /** The loop's progress, for a waiter whose answers come from the loop thread. */
    private readonly progress?: ProgressWatch,
    /** Counts an idle period that polled its whole window for nothing (or saw the loop stop). */
    private readonly countFailure?: () => void,
  ) {}

  /**
   * What to do at `now`, in an idle period that started at `since` (a call with a new `since`
   * starts one). `worthPolling` false parks at once (at the start of a period, or during it)
   * and teaches the backoff nothing: the waiter knows what it waits for cannot come soon.
   */
  step(now: number, since: number, worthPolling = true): Step {
    if (!this.idle) {
      this.begin(worthPolling);
      if (this.polling) this.progress?.start(now);
    } else if (this.polling && !worthPolling) {
      // What it waits for cannot come soon any more (the loop's submitters now all wait for
      // running tasks): park. Neither a failed poll nor, stopped at its next look, a counted one.
      this.polling = false;
      this.uncounted = false;
      return Step.Park;
    } else this.count();
    if (!this.polling) return Step.Park;
    const quietMs = now - since;
    if (quietMs < this.pollMs && !this.progress?.stalled(now)) return quietMs < this.hotMs ? Step.Hot : Step.Poll;
    // Polled the whole window for nothing, or the loop stopped running: what comes next is probably as slow.
    this.polling = false;
    this.backoff.failed();
    this.countFailure?.();
    return Step.Park;
  }

  /**
   * Starts an idle period without reading the clock: whether it polls at all. The loop calls
   * this at the first look after every request, so the clock is read only once a period lasts.
   */
  begin(worthPolling = true): boolean {
    this.idle = true;
    this.polling = worthPolling && this.backoff.shouldTry();
    this.uncounted = this.polling;
    return this.polling;
  }

  private count(): void {
    if (!this.uncounted) return;
    this.uncounted = false;
    this.countSpin();
  }

  /**
   * Activity at `now` ends the idle period that started at `since`. When it
   * is what the waiter waits for (`found`), it says whether staying hot paid:
   * found within the hot window, it did (also after parking at once: polling
   * would have caught it); found later, polling cost more CPU than the
   * wake-up it saved (tens of microseconds), so that counts as a failure.
   */
  active(now: number, since: number, found: boolean): void {
    if (!this.idle) return;
    this.idle = false;
    this.count();
    if (!found) return;
    if (now - since < this.hotMs) this.backoff.succeeded();
    else if (this.polling) this.backoff.failed();
  }
}

// ---- the awaiting caller (ResultPoller) ----

/** How long an awaiting thread polls after activity: in the microtask queue, then per event-loop turn. */
export const AWAIT_HOT_MS = 0.02;
export const AWAIT_POLL_MS = 0.3;
/**
 * A poller about to park that finds its results already there (on one core the loop thread
 * ran as the submit rang it, and answered before the submitter got back to park) settles them
 * from the microtask queue, as a hot poll would: through setImmediate each such call cost a
 * turn of the event loop. Every AWAIT_HOT_WAKES-th time in a row it goes through the event loop
 * anyway, so a thread awaiting call after call still runs its timers and I/O.
 */
export const AWAIT_HOT_WAKES = 64;
/**
 * On one core an awaiting thread about to park for a result that is not there yet first blocks
 * for it in Atomics.wait, for up to AWAIT_BLOCK_MS. The loop thread its submit woke gets the
 * core only once this thread gives it up, and a thread blocked in Atomics.wait is woken by a
 * plain futex hand-off, where a waitAsync settles through V8's task queue, an eventfd write and
 * a turn of libuv (one-core awaited call ~19 -> ~15.5 us here). The block holds the event loop
 * only as long as the answer takes: one that took longer than AWAIT_BLOCK_PAYS_MS (a task that
 * computes, or awaits a timer or I/O) backs off like a failed spin (Backoff), so a lane of slow
 * tasks blocks at most once in MAX_SKIP + 1 calls, and for at most AWAIT_BLOCK_MS. Not shorter:
 * a timeout within a kernel tick costs what LOOP_BLOCK_MS says. Deno too (one-core awaited
 * call 23.5 -> 12.6 us); not Bun, where it gained nothing (runtime.ts, awaitBlockPays).
 */
export const AWAIT_MAY_BLOCK = !SPIN_ALLOWED && awaitBlockPays;
export const AWAIT_BLOCK_MS = 5;
export const AWAIT_BLOCK_PAYS_MS = 0.1;
/** A parked poller wakes this often even without results, to notice a loop death nobody announced. */
export const AWAIT_SLICE_MS = sliceMs(1000);

export function awaitWait(countSpin: () => void, progress: ProgressWatch): PollingWait {
  return new PollingWait(AWAIT_HOT_MS, AWAIT_POLL_MS, countSpin, progress);
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
/**
 * A loop about to park that finds the next request takes it at once, not after a turn of its
 * event loop (on one core, every call): at most this many times in a row (loop-runtime.ts).
 */
export const LOOP_HOT_UNPARKS = 64;

/**
 * Whether a loop's idle period may poll (its backoff permitting). Polling is for the next
 * request that follows a result. While tasks run, where the loop can block its thread (Node),
 * only if some submitter may send one soon (`someMayRequestSoon`: it has been answered since
 * its last request). One that waits for a running task sends nothing until the task ends:
 * polls through a 1 ms task found nothing and cost most of its CPU (~45 pumps a call, each a
 * promise and, where AsyncLocalStorage uses promise hooks, three hooks).
 * But a task that runs for long (a watcher, a server) must not make every other call park:
 * parked, each cost a trip through the event loop (20-70 us a blocking call instead of 3.5).
 * Where the loop never blocks its thread (Bun, Deno: their channels arrive through the event
 * loop, and Deno settles a waitAsync only as its message loop is drained) it polls through
 * running tasks as before: parking at once was measured, and is needed, on Node only.
 */
export function loopMayPoll(tasksRunning: number, loopCanBlock: boolean, someMayRequestSoon: () => boolean): boolean {
  return !loopCanBlock || tasksRunning === 0 || someMayRequestSoon();
}

export function loopWait(countSpin: () => void, countFailure?: () => void): PollingWait {
  return new PollingWait(LOOP_HOT_MS, LOOP_POLL_MS, countSpin, undefined, countFailure);
}

/**
 * When the loop parks with no task running and nothing else holding its event loop, it first
 * blocks the thread in Atomics.wait for this long (loop/idle-block.ts): a doorbell then costs
 * one futex hand-off instead of a trip through V8's task queue and libuv. Long enough for a
 * caller's next request (awaited or blocking calls one after another); short enough that an
 * unref'd timer a task left behind runs only this much late.
 *
 * Longer than a kernel tick at HZ=250 (4 ms): a timed wait whose timer expires before the
 * CPU's next tick makes the kernel reprogram its clock event device when the wait starts and
 * again when the doorbell cancels it, and in a VM each is a trap to the hypervisor. With 2 ms
 * that cost ~4 us of a one-core blocking call (19-21 us; 5, 10, 20 or 50 ms: 15-17) and of an
 * awaited one (24-27 us; 19-21). A kernel with HZ=100 still pays it.
 */
export const LOOP_BLOCK_MS = 5;
/** How long the loop trusts its last listing of what holds its event loop (idle-block.ts). */
export const RESOURCES_EVERY_MS = 1;

/**
 * Whether the loop thread may block its event loop now: no task runs (a task's timers and I/O
 * need the event loop), and no more resources hold the event loop than held it when the loop
 * started (a timer, socket or request a finished task left behind).
 */
export function loopMayBlock(tasksRunning: number, resources: number, baseline: number): boolean {
  return tasksRunning === 0 && resources <= baseline;
}
