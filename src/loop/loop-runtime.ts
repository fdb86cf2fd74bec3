/**
 * A loop run's state on its thread: it takes requests from its lanes (what
 * each one does is task-requests.ts: tasks run concurrently on this thread's
 * event loop), and writes results back. After activity it polls for a short
 * while (cheap wake-ups for bursts), then parks in Atomics.waitAsync until a submitter rings the
 * doorbell (wait-policy.ts says how long each); how the run ends (a stop, or
 * its thread exiting) is loop-stop.ts. loop-thread.ts boots one
 * from workerData; nothing here is module state, so a test can make one.
 * @internal
 */
import { nowMs } from '../clock.js';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { broadcastReadsSync } from '../runtime.js';
import { C_CANCELLED, C_COMPLETED, C_FAILED, C_BLOCK_BELL, C_LOOP_PARKED, C_LOOP_SPINS, C_DOORBELL, C_PROGRESS, LoopParked, type LaneBootData } from '../channel/protocol.js';
import type { OutStream } from '../channel/records.js';
import { LOOP_CLOCK_EVERY, LOOP_HOT_UNPARKS, LOOP_SLICE_MS, type PollingWait, Step, loopMayPoll, loopWait } from '../channel/wait-policy.js';
import { debug, policyCounter, slowMs } from '../debug.js';
import type { LoopControl } from '../registry/control.js';
import { wakeWords } from '../channel/wake.js';
import { EndedLanes, type ThreadWatch } from './ended-lanes.js';
import { Blocked, IdleBlock } from './idle-block.js';
import { Job, type JobSink } from './job.js';
import { LoopLanes } from './loop-lanes.js';
import { LoopStop } from './loop-stop.js';
import type { LoopThreadContext, TaskScope } from './task-context.js';
import { TaskRequests } from './task-requests.js';

/** What a loop runtime is told about its run. */
export interface LoopRuntimeOptions {
  readonly control: LoopControl;
  readonly name: string;
  readonly taskType: string | null;
  readonly loopKey: string;
  /** currentSignal()'s context: tasks run in its scope once it is wanted (task-context.ts). */
  readonly context: LoopThreadContext;
  /** Liveness probes from a blocked owner queue up here; the loop drops them every LOOP_SLICE_MS. */
  readonly lifePort?: MessagePort;
  /** Ends the thread once the loop has stopped (process.exit in a loop thread). */
  readonly exit: (code: number) => void;
  /** The thread table: lanes of submitting threads that ended are dropped (ended-lanes.ts). */
  readonly threads?: ThreadWatch;
}

/** Idle periods that polled while tasks ran, and those that found nothing (debug.ts, policyCounter). */
const countPollWhileRunning = policyCounter('pollsWhileRunning');
const countFailedPollWhileRunning = policyCounter('failedPollsWhileRunning');

// Node's queueMicrotask wraps each callback in an AsyncResource; a resolved promise's then does not.
const settledPromise = Promise.resolve();

export class LoopRuntime implements JobSink {
  private readonly control: LoopControl;
  private readonly lanes: LoopLanes;
  /** The stop or exit that ends this run (loop-stop.ts): loop-thread.ts reports uncaught errors and the exit to it. */
  readonly stop: LoopStop;
  private readonly requests: TaskRequests;
  private announcePending = false;
  /** nowMs() at the first clock read of a quiet period (its LOOP_CLOCK_EVERY-th look, or a park); 0 before, and while busy. */
  private quietSince = 0;
  private idlePumps = 0;
  private pumpScheduled = false;
  /** A park found work as it looked again and pumped from the microtask queue; reset when a pump takes work. */
  private unparkedHot = false;
  /** Such pumps since the event loop last turned (LOOP_HOT_UNPARKS bounds them). */
  private hotUnparks = 0;
  private parked = false;
  /** Bumped on every pump and published in C_PROGRESS: spinning callers see the loop run. */
  private progress = 0;
  private readonly wait: PollingWait;
  private readonly endedLanes: EndedLanes | undefined;
  private readonly idleBlock: IdleBlock;
  /** A waitAsync on the doorbell is pending: a park reuses it rather than add a second waiter that every ring would wake. */
  private asyncPending = false;
  /** Parks so far, and the one whose waitAsync is pending: a wake-up from an older park's waiter may be stale. */
  private parks = 0;
  private waiterPark = 0;
  /** blockWhileParked is queued. */
  private blockQueued = false;
  /** C_BLOCK_BELL's value when the loop said it would block (LoopParked.Blocked). */
  private blockBell = 0;

  constructor(private readonly opts: LoopRuntimeOptions) {
    this.control = opts.control;
    this.endedLanes = opts.threads && new EndedLanes(opts.threads, opts.control);
    this.wait = loopWait(
      () => {
        this.control.count(C_LOOP_SPINS);
        if (this.tasksRunning() > 0) countPollWhileRunning();
      },
      () => {
        if (this.tasksRunning() > 0) countFailedPollWhileRunning();
      },
    );
    this.requests = new TaskRequests(
      { control: opts.control, name: opts.name, taskType: opts.taskType, context: opts.context, stopping: () => this.stop.stopping },
      this,
    );
    setInterval(this.safetyNet, LOOP_SLICE_MS).unref();
    const readSync = broadcastReadsSync(); // before any channel exists (see runtime.ts)
    this.lanes = new LoopLanes(opts.control.words, opts.loopKey, opts.name, this.requests.onRequest, wakeWords(opts.control.memory), readSync, () => this.wake());
    this.idleBlock = new IdleBlock(readSync);
    this.stop = new LoopStop({
      control: opts.control,
      name: opts.name,
      lanes: this.lanes,
      endedLanes: this.endedLanes,
      finish: (job, ok, value, counter) => this.finish(job, ok, value, counter),
      announceAll: this.announceAll,
      exit: opts.exit,
    });
    // Task output goes to the lane of the task that wrote it: with two lanes, that takes the scope.
    this.lanes.onConnect = () => {
      if (this.lanes.all.length > 1) opts.context.scoped = true;
    };
    opts.context.unscopedSole = this.unscopedSole;
    // Nobody listens on the life port (a listener would wake this event loop for each probe).
    opts.lifePort?.unref();
  }

  connect(data: LaneBootData): void {
    this.lanes.connect(data);
  }

  private dropProbes(): void {
    const port = this.opts.lifePort;
    if (port) while (receiveMessageOnPort(port)) {}
  }

  // ---- outcomes ----

  /** JobSink: sends a job's outcome, unless it was already settled (cancelled, timed out). */
  finish(job: Job, ok: boolean, value: unknown, counter = ok ? C_COMPLETED : C_FAILED): void {
    const { lane, id: callId } = job;
    // Not running any more when it was cancelled or timed out (and answered then).
    if (lane.running.take(callId) === undefined) return;
    if (job.timer) clearTimeout(job.timer);
    if (job.startedAt !== 0) this.reportSlow(job, ok);
    this.control.count(counter);
    if (ok) lane.answers.ok(callId, value, job);
    else lane.answers.fail(callId, value, counter === C_CANCELLED);
    this.scheduleAnnounce();
    if (this.stop.stopping) this.stop.finishIfIdle();
    else if (this.parked && !this.blockQueued && this.idleBlock.possible && this.tasksRunning() === 0) {
      // Say where the loop will block before the announcement (queued above) wakes the
      // submitter: its next request then rings the block, not the pending waitAsync.
      this.blockQueued = true;
      Atomics.store(this.control.words, C_LOOP_PARKED, LoopParked.Blocked);
      this.blockBell = Atomics.load(this.control.words, C_BLOCK_BELL);
      settledPromise.then(this.blockWhileParked);
    }
  }

  private reportSlow(job: Job, ok: boolean): void {
    const ms = nowMs() - job.startedAt;
    if (ms >= slowMs) debug('loop %s: slow task: %s %s after %s ms (thread %d, call %d)', this.opts.name, job.label, ok ? 'returned' : 'failed', ms.toFixed(1), job.lane.threadId, job.id);
  }

  /** OutputSink (task-output.ts): a task's output goes to the lane its task came from, other output to the owner's. */
  readonly output = (stream: OutStream, chunk: string | Uint8Array): boolean => {
    const job = this.opts.context.scope.getStore() as Job | undefined;
    const lane = job?.lane ?? this.lanes.all[0];
    if (lane === undefined || !lane.answers.output(stream, chunk)) return false;
    this.scheduleAnnounce();
    return true;
  };

  // ---- telling submitters ----

  private scheduleAnnounce(): void {
    if (this.announcePending) return;
    this.announcePending = true;
    settledPromise.then(this.announceAll);
  }

  private readonly announceAll = (): void => {
    this.announcePending = false;
    for (const lane of this.lanes.all) lane.answers.announce();
  };

  // ---- the pump: poll after activity, then park ----

  private readonly pump = (): void => {
    this.pumpScheduled = false;
    const control = this.control;
    Atomics.store(control.words, C_PROGRESS, ++this.progress);
    if (this.lanes.pending) this.lanes.takeAnnounced();
    let handled = 0;
    for (const lane of this.lanes.all) {
      if (lane.answers.hasBacklog) handled += lane.answers.flush();
      handled += lane.drain();
    }
    this.announceAll();
    if (handled > 0) {
      this.unparkedHot = false;
      this.endQuiet();
      return this.hotPump();
    }
    const looks = this.idlePumps++;
    if (looks !== 0 && (looks & (LOOP_CLOCK_EVERY - 1)) !== 0) return this.hotPump();
    if (this.stop.asked()) this.stop.begin();
    // The first look after activity, on the path of every call: whether to poll at all, from
    // what the policy learned (no clock read: the read and the step cost ~0.2 us of a call).
    if (looks === 0) return this.wait.begin(this.mayPoll()) ? this.hotPump() : this.park();
    const now = nowMs();
    if (this.quietSince === 0) this.quietSince = now;
    const step = this.wait.step(now, this.quietSince, this.mayPoll());
    if (step === Step.Hot) this.hotPump();
    else if (step === Step.Poll) this.schedulePump();
    else this.park();
  };

  private mayPoll(): boolean {
    return loopMayPoll(this.tasksRunning(), this.idleBlock.possible, this.someMayRequestSoon);
  }

  /** Requests came: the quiet period (if any) ends, and the wait policy learns how long it lasted. */
  private endQuiet(found = true): void {
    // Ended before the period's first clock read (LOOP_CLOCK_EVERY looks, a park): it was short.
    this.wait.active(this.quietSince === 0 ? 0 : nowMs(), this.quietSince, found);
    this.quietSince = 0;
    this.idlePumps = 0;
  }

  private hotPump(): void {
    this.pumpScheduled = true;
    settledPromise.then(this.pump);
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.parked) return;
    this.pumpScheduled = true;
    this.hotUnparks = 0;
    setImmediate(this.pump);
  }

  /** Requests waiting, or held results that the ring now has room for (moved as a side effect). */
  private hasWork(): boolean {
    let found = this.lanes.pending;
    for (const lane of this.lanes.all) {
      if (lane.hasRequests() || (lane.answers.hasBacklog && lane.answers.flush() > 0)) found = true;
    }
    return found;
  }

  private park(): void {
    const control = this.control;
    const words = control.words;
    // When the next request comes, the policy learns how long the loop waited for it.
    if (this.quietSince === 0) this.quietSince = nowMs();
    Atomics.store(words, C_LOOP_PARKED, LoopParked.Doorbell);
    let bell = Atomics.load(words, C_DOORBELL);
    // Re-check after saying so: a submitter that published before reading the flag is seen
    // here. Held results are tried once more: a submitter that emptied its ring before we
    // said we park rang a bell we will not hear; one that has not will ring after it reads.
    if (this.hasWork() || this.stop.asked()) return this.unpark(true);
    // Nothing needs the event loop: block the thread for the next request (idle-block.ts).
    // Not while a waitAsync is pending: that one would be woken too (blockWhileParked blocks then).
    if (!this.asyncPending) {
      const blocked = this.idleBlock.block(words, C_DOORBELL, bell, this.tasksRunning());
      if (blocked === Blocked.Rang) return this.rang();
      if (blocked === Blocked.TimedOut) {
        bell = Atomics.load(words, C_DOORBELL);
        if (this.hasWork() || this.stop.asked()) return this.unpark();
      }
    }
    this.parked = true;
    this.parks++;
    // A waiter already registered hears every ring from now on: the flag is set and work re-checked.
    if (this.asyncPending) return;
    // No timeout: a waitAsync with one costs a timer per park (~10 us a call); the safety
    // net is one interval (safetyNet).
    const waited = Atomics.waitAsync(words, C_DOORBELL, bell);
    if (!waited.async) return this.wake();
    this.asyncPending = true;
    this.waiterPark = this.parks;
    void waited.value.then(this.onParkEnd);
  }

  /** The doorbell rang while the thread was blocked: pump now. */
  private rang(): void {
    this.parked = false;
    Atomics.store(this.control.words, C_LOOP_PARKED, LoopParked.Running);
    // Not a sign that polling would have paid: the block already made this hand-off cheap. (Counted
    // as one, a quick request after a block reset the backoff that the polls through a running
    // task's 1 ms had built, and the loop polled through every task: ~700 us of CPU a call.)
    this.endQuiet(false);
    if (!this.pumpScheduled) this.hotPump();
  }

  /**
   * The last running task finished while the loop was parked in waitAsync (it parked while the
   * task awaited a timer or I/O): block the thread instead, so the next request costs a futex
   * hand-off. It blocks on its own word (LoopParked.Blocked), so a ring wakes only the block;
   * the pending waitAsync stays for the next park.
   */
  private readonly blockWhileParked = (): void => {
    this.blockQueued = false;
    const words = this.control.words;
    // Woken meanwhile (a request or a lane came through the event loop): back to running.
    if (!this.parked) {
      Atomics.store(words, C_LOOP_PARKED, LoopParked.Running);
      return;
    }
    this.announceAll(); // before the thread stops: the results just written
    const blocked = this.hasWork() || this.stop.asked() ? Blocked.Rang : this.idleBlock.block(words, C_BLOCK_BELL, this.blockBell, this.tasksRunning());
    if (blocked === Blocked.Rang) return this.rang();
    // Back to the doorbell, then look again: a submitter that saw Blocked after the block ended rang a word nobody waits on.
    Atomics.store(words, C_LOOP_PARKED, LoopParked.Doorbell);
    if (this.hasWork() || this.stop.asked()) this.wake();
  };

  /**
   * Found work as it was about to park. `maySkipTurn`: the loop has not parked yet, so the
   * work is taken from this microtask once per activity. On one core that is every call: the
   * submitter, which ran while this thread was preempted, has sent its next request. Through
   * setImmediate each call cost a turn of the event loop (8% of a one-core blocking call).
   * Once per activity, so work the pump cannot take does not keep the loop in microtasks;
   * and every LOOP_HOT_UNPARKS-th time through the event loop, so a running task's timers
   * and I/O are not held back by calls that keep coming (a block does not turn it either).
   */
  private unpark(maySkipTurn = false): void {
    Atomics.store(this.control.words, C_LOOP_PARKED, LoopParked.Running);
    if (!maySkipTurn || this.unparkedHot || this.hotUnparks >= LOOP_HOT_UNPARKS) return this.schedulePump();
    this.unparkedHot = true;
    this.hotUnparks++;
    if (!this.pumpScheduled) this.hotPump();
  }

  private readonly someMayRequestSoon = (): boolean => this.lanes.someMayRequestSoon();

  /** The only task running here, if it started unscoped: currentSignal()'s answer for it (task-context.ts). */
  private readonly unscopedSole = (): TaskScope | undefined => {
    if (this.tasksRunning() !== 1) return undefined;
    const lane = this.lanes.all.find((each) => each.running.size > 0);
    const job = lane?.running.list()[0] as Job | undefined;
    return job?.unscoped ? job : undefined;
  };

  private tasksRunning(): number {
    return this.lanes.tasksRunning();
  }

  /**
   * Woken by a doorbell: pump from this microtask (a setImmediate would cost another turn of
   * the event loop per call). The waiter may be older than this park (parks reuse a pending
   * one), and its wake-up may come after the loop woke otherwise: then it is only a spare pump,
   * and not a sign for the wait policy that the request came quickly.
   */
  private readonly onParkEnd = (): void => {
    this.asyncPending = false;
    this.hotUnparks = 0; // the event loop turned to run this
    if (!this.parked) return;
    this.parked = false;
    Atomics.store(this.control.words, C_LOOP_PARKED, LoopParked.Running);
    this.endQuiet(this.waiterPark === this.parks);
    if (!this.pumpScheduled) this.hotPump();
  };

  /**
   * Every LOOP_SLICE_MS: a parked loop with requests waiting missed a doorbell. That should
   * never happen; if it does, the loop wakes itself rather than strand the request. Probes
   * from blocked owners are dropped (they come at most every BLOCKED_FIRST_SLICE_MS).
   */
  private readonly safetyNet = (): void => {
    // Here, not at every park: a receiveMessageOnPort per park and the resource listing
    // (idle-block.ts) together cost ~7% of a one-core call.
    this.dropProbes();
    this.dropEndedLanes();
    if (!this.parked || !this.hasWork()) return;
    debug('loop %s: found requests while parked (a missed wake-up)', this.opts.name);
    Atomics.notify(this.control.words, C_DOORBELL);
  };

  /** Lanes whose thread ended go (their tasks cancelled); a stop waiting for their tasks can end. */
  private dropEndedLanes(): void {
    if (!this.endedLanes) return;
    const before = this.lanes.all.length;
    this.endedLanes.drop(this.lanes.all, this.opts.name);
    if (this.lanes.all.length !== before && this.stop.stopping) this.stop.finishIfIdle();
  }

  /** The loop runs (its keep-alive made): starts pumping. */
  start(): void {
    this.idleBlock.started();
    this.wake();
  }

  /** Starts pumping: at boot, and whenever something arrives while parked. */
  wake(): void {
    if (this.parked) {
      this.parked = false;
      Atomics.store(this.control.words, C_LOOP_PARKED, LoopParked.Running);
    }
    this.endQuiet();
    this.schedulePump();
  }
}
