/**
 * The loop thread: the entry point of every loop's Worker. It takes requests
 * from its lanes, runs each task concurrently on this thread's event loop,
 * and writes results back. After activity it polls for a short while (cheap
 * wake-ups for bursts), then parks in Atomics.waitAsync until a submitter
 * rings the doorbell.
 */
import { BroadcastChannel, receiveMessageOnPort, threadId, workerData, type MessagePort } from 'node:worker_threads';
import type { ByteReader } from '../channel/codec.js';
import { Registry } from '../registry/registry.js';
import { lineage } from '../registry/lineage.js';
import { CancelledError, LoopNotRunningError, TimeoutError, UnknownAsyncTaskError } from '../errors.js';
import { BroadcastSideChannel, PortSideChannel } from '../channel/lane.js';
import { LoopLane } from './loop-lane.js';
import {
  C_CANCELLED,
  C_COMPLETED,
  C_DOORBELL,
  C_FAILED,
  C_LANES,
  C_LOOP_PARKED,
  C_STARTED,
  CancelReason,
  FnKind,
  LoopState,
  Req,
  StopMode,
  SUBMIT_ARGS_ON_SIDE,
  SUBMIT_HAS_TIMEOUT,
  SUBMIT_HAS_TYPE,
  lanesChannelName,
  type LaneAnnouncement,
  type LaneBootData,
  type LoopBootData,
} from '../channel/protocol.js';
import { installLoopThreadContext } from './task-context.js';
import { inheritLoaders } from './loaders.js';
import { debug } from '../debug.js';
import { resolveTask, type TaskFunction } from './task-resolver.js';
import { taskLabel } from '../task.js';

/**
 * After activity the loop first spins in the microtask queue (a submitter's
 * next request is seen within a fraction of a microsecond, and tasks that
 * only await promises run meanwhile), then polls once per event-loop turn
 * (timers and I/O run), then parks. Both windows are short, so an idle loop
 * costs nothing. One event-loop turn costs ~10 us here; a microtask ~0.1 us.
 */
const HOT_MS = 0.1;
const POLL_MS = 0.5;
/** A parked loop looks for work this often even without a doorbell: a few microseconds a second. */
const PARK_CHECK_MS = 2000;

const boot = workerData as LoopBootData & { lifePort: MessagePort };
const control = new Registry(boot.registry).control(boot.slot, boot.gen);
const scope = installLoopThreadContext(boot.loopKey);
const lanes: LoopLane[] = [];
let stopping = false;
let crashCause: unknown;

// ---- lanes ----

function connect(data: LaneBootData): void {
  const side = data.port ? new PortSideChannel(data.port) : new BroadcastSideChannel(data.sideToSubmitter!, data.sideToLoop!);
  const lane = new LoopLane(data.laneId, data.memory, side, onRequest);
  lanes.push(lane);
  lane.markConnected();
}

connect(boot.ownerLane);

// Other threads announce their lanes here and count them in C_LANES. The event loop
// delivers announcements; while the pump spins in the microtask queue it reads the
// channel itself when the count moves, so a new lane is served even mid-burst.
const announcements = new BroadcastChannel(lanesChannelName(boot.loopKey));
announcements.unref();
let lanesSeen = 0;

function onAnnouncement(message: unknown): void {
  if ((message as LaneAnnouncement | undefined)?.kind !== 'lane') return;
  lanesSeen++;
  connect((message as LaneAnnouncement).lane);
}

announcements.onmessage = (event) => {
  onAnnouncement((event as { data: unknown }).data);
  wake();
};

function takeAnnouncedLanes(): void {
  const announced = Atomics.load(control.words, C_LANES);
  while (lanesSeen !== announced) {
    const received = receiveMessageOnPort(announcements as unknown as MessagePort);
    if (!received) break;
    onAnnouncement(received.message);
  }
}

// The life port carries liveness probes from a blocked owner: their postMessage fails once this
// thread is gone. Nobody listens (a listener would wake this event loop for each probe); the
// probes queue up and are dropped whenever the loop parks.
boot.lifePort.unref();
function dropProbes(): void {
  while (receiveMessageOnPort(boot.lifePort)) {}
}

// ---- requests ----

/**
 * One task in this loop, from submit to settle; also the task's scope for
 * currentSignal(). The AbortController is made only when someone asks for
 * the signal: most tasks never do, and making one costs more than the call.
 */
class Job {
  private ac: AbortController | undefined;
  private reason: unknown;
  aborted = false;
  timer: NodeJS.Timeout | undefined;

  constructor(
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

  readonly resolve = (value: unknown): void => finish(this, true, value);
  readonly reject = (error: unknown): void => finish(this, false, error);
}

interface FnSlot {
  kind: number;
  target: string;
  name: string;
  label: string;
  resolved?: TaskFunction | Promise<TaskFunction>;
}

function onRequest(lane: LoopLane, r: ByteReader, sideArgs: unknown[] | undefined): void {
  const op = r.u8();
  if (op === Req.Submit) return onSubmit(lane, r, sideArgs);
  if (op === Req.DefineFn) {
    const fnId = r.u32();
    const kind = r.u8();
    const target = r.str();
    const name = r.str();
    const label = taskLabel(kind === FnKind.Module ? 'module' : 'inline', target, name);
    lane.fns.set(fnId, { kind, target, name, label } satisfies FnSlot);
    return;
  }
  if (op === Req.Cancel) {
    const callId = r.u32();
    const reason = r.u8();
    const job = lane.running.take(callId) as Job | undefined;
    if (job) {
      if (job.timer) clearTimeout(job.timer);
      control.count(C_CANCELLED);
      job.abort(reason === CancelReason.TimedOut ? new TimeoutError(`${job.label} timed out`) : new CancelledError(`${job.label} was cancelled`));
    } else if (lane.isNewCall(callId)) {
      lane.cancelledEarly.add(callId);
    }
  }
}

function onSubmit(lane: LoopLane, r: ByteReader, sideArgs: unknown[] | undefined): void {
  const callId = r.u32();
  const fnId = r.u32();
  const flags = r.u8();
  const timeoutMs = flags & SUBMIT_HAS_TIMEOUT ? r.f64() : undefined;
  const taskType = flags & SUBMIT_HAS_TYPE ? r.str() : null;
  if (lane.isNewCall(callId)) lane.maxCallId = callId;
  const slot = lane.fns.get(fnId) as FnSlot | undefined;
  const job = new Job(lane, callId, slot?.label ?? 'a task');
  control.count(C_STARTED);
  if (lane.cancelledEarly.size > 0 && lane.cancelledEarly.delete(callId)) {
    control.count(C_CANCELLED);
    return;
  }
  lane.running.add(job);
  let args: unknown[];
  try {
    args = flags & SUBMIT_ARGS_ON_SIDE ? sideArgs! : (r.value() as unknown[]);
  } catch (err) {
    return job.reject(err);
  }
  if (stopping) return job.reject(new LoopNotRunningError(`Loop "${boot.name}" is stopping and takes no new tasks`));
  if (boot.taskType !== null && taskType !== boot.taskType) return job.reject(new UnknownAsyncTaskError(taskType, boot.taskType));
  if (!slot) return job.reject(new Error(`sideloop: unknown function id ${fnId}`));
  if (timeoutMs !== undefined) {
    job.timer = setTimeout(() => {
      const error = new TimeoutError(`${job.label} did not finish within ${timeoutMs} ms`);
      job.abort(error);
      job.reject(error);
    }, timeoutMs);
  }
  let resolved = slot.resolved;
  if (resolved === undefined) {
    try {
      resolved = slot.resolved = resolveTask(slot.kind, slot.target, slot.name);
    } catch (err) {
      return job.reject(err);
    }
  }
  if (typeof resolved === 'function') return invoke(job, resolved, args);
  resolved.then(
    (fn) => {
      slot.resolved = fn;
      if (!job.aborted) invoke(job, fn, args);
    },
    (err) => {
      slot.resolved = undefined; // retry the import on the next call
      job.reject(err);
    },
  );
}

function invoke(job: Job, fn: TaskFunction, args: unknown[]): void {
  let out: unknown;
  try {
    out = scope.run(job, fn, ...args);
  } catch (err) {
    return job.reject(err);
  }
  if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
    (out as PromiseLike<unknown>).then(job.resolve, job.reject);
  } else {
    job.resolve(out);
  }
}

/** Sends a job's outcome, unless it was already settled (cancelled, timed out). */
function finish(job: Job, ok: boolean, value: unknown, counter = ok ? C_COMPLETED : C_FAILED): void {
  const { lane, id: callId } = job;
  // Not running any more when it was cancelled or timed out (and answered then).
  if (lane.running.take(callId) === undefined) return;
  if (job.timer) clearTimeout(job.timer);
  control.count(counter);
  if (ok) lane.ok(callId, value, job);
  else lane.fail(callId, value);
  scheduleAnnounce();
  if (stopping) maybeFinishStop();
}

// ---- telling submitters ----

// Node's queueMicrotask wraps each callback in an AsyncResource; a resolved promise's then does not.
const settledPromise = Promise.resolve();
let announcePending = false;
function scheduleAnnounce(): void {
  if (announcePending) return;
  announcePending = true;
  settledPromise.then(announceAll);
}

function announceAll(): void {
  announcePending = false;
  for (const lane of lanes) lane.announce();
}

// ---- the pump: poll after activity, then park ----

/** performance.now() when the loop last found nothing to do after activity; 0 while busy. */
let quietSince = 0;
let idlePumps = 0;
let pumpScheduled = false;
let parked = false;

function pump(): void {
  pumpScheduled = false;
  if (Atomics.load(control.words, C_LANES) !== lanesSeen) takeAnnouncedLanes();
  let handled = 0;
  for (const lane of lanes) {
    if (lane.hasBacklog) handled += lane.flush();
    handled += lane.drain();
  }
  announceAll();
  if (handled > 0) {
    quietSince = 0;
    idlePumps = 0;
    return hotPump();
  }
  // Reading the clock costs as much as a pump: look at it (and for a stop request) every 16th.
  if ((idlePumps++ & 15) !== 0) return hotPump();
  if (control.stopMode !== StopMode.None && !stopping) beginStop();
  const now = performance.now();
  if (quietSince === 0) quietSince = now;
  const quiet = now - quietSince;
  if (quiet < HOT_MS) hotPump();
  else if (quiet < POLL_MS) schedulePump();
  else park();
}

function hotPump(): void {
  pumpScheduled = true;
  settledPromise.then(pump);
}

function schedulePump(): void {
  if (pumpScheduled || parked) return;
  pumpScheduled = true;
  setImmediate(pump);
}

/** Requests waiting, or held results that the ring now has room for (moved as a side effect). */
function hasWork(): boolean {
  let found = Atomics.load(control.words, C_LANES) !== lanesSeen;
  for (const lane of lanes) {
    if (lane.hasRequests() || (lane.hasBacklog && lane.flush() > 0)) found = true;
  }
  return found;
}

function park(): void {
  dropProbes();
  const words = control.words;
  Atomics.store(words, C_LOOP_PARKED, 1);
  const bell = Atomics.load(words, C_DOORBELL);
  // Re-check after saying so: a submitter that published before reading the flag is seen
  // here. Held results are tried once more: a submitter that emptied its ring before we
  // said we park rang a bell we will not hear; one that has not will ring after it reads.
  if (hasWork() || (control.stopMode !== StopMode.None && !stopping)) {
    Atomics.store(words, C_LOOP_PARKED, 0);
    schedulePump();
    return;
  }
  parked = true;
  const waited = Atomics.waitAsync(words, C_DOORBELL, bell, PARK_CHECK_MS);
  if (waited.async) void waited.value.then(onParkEnd);
  else wake();
}

/** Submitters ring the doorbell; the timeout is a safety net that should never find work. */
function onParkEnd(outcome: string): void {
  if (outcome === 'timed-out') {
    if (!hasWork()) {
      parked = false;
      return park();
    }
    debug('loop %s: found requests after a park timeout (a missed wake-up)', boot.name);
  }
  wake();
}

function wake(): void {
  if (parked) {
    parked = false;
    Atomics.store(control.words, C_LOOP_PARKED, 0);
  }
  quietSince = 0;
  idlePumps = 0;
  schedulePump();
}

// ---- stopping ----

function beginStop(): void {
  stopping = true;
  if (control.stopMode === StopMode.CancelPending) {
    for (const lane of lanes) {
      for (const job of lane.running.list() as Job[]) {
        const error = new CancelledError(`${job.label} was cancelled: loop "${boot.name}" is stopping`);
        job.abort(error);
        finish(job, false, error, C_CANCELLED);
      }
    }
  }
  maybeFinishStop();
}

function maybeFinishStop(): void {
  if (lanes.some((lane) => lane.running.size > 0)) return;
  for (const lane of lanes) lane.spill();
  announceAll();
  control.setState(LoopState.Stopped);
  for (const lane of lanes) lane.wake();
  process.exit(0);
}

// ---- dying ----

process.on('uncaughtExceptionMonitor', (err) => {
  crashCause ??= err;
});
process.on('exit', (code) => {
  if (control.state === LoopState.Stopped) return;
  control.markCrashed(code, crashCause ?? new Error(`process.exit(${code}) was called in the loop thread`));
  for (const lane of lanes) lane.wake();
});

// ---- go ----

// Workers that tasks spawn inherit this thread's lineage. A call, not a bare import: the package
// declares no side effects, so the bundler would drop a bare one.
lineage();
await inheritLoaders(process.execArgv);
control.loopThreadId = threadId;
setInterval(() => {}, 2 ** 30); // the loop lives until stopped; waitAsync alone holds no handle
if (Atomics.compareExchange(control.words, 0, LoopState.Starting, LoopState.Running) === LoopState.Starting) {
  Atomics.notify(control.words, 0);
}
wake();
