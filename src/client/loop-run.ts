/**
 * The owner's side of one loop run: it spawns the loop thread, connects the
 * owner's lane through the thread's workerData, watches the thread for death
 * and stops it. A manager makes one per start().
 * @internal
 */
import { sharedNowMs } from '../clock.js';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, threadId, Worker } from 'node:worker_threads';
import { fromErrorData } from '../channel/error-codec.js';
import { createLaneMemory, peerAlive, PortSideChannel } from '../channel/lane.js';
import { BOOT_FAILURE, CODE_CACHE, LoopState, StopMode, type BootFailure, type CodeCacheMessage, type LoopBootData } from '../channel/protocol.js';
import { debug } from '../debug.js';
import { LoopEntryLoadError } from '../errors.js';
import { STOP_GRACE_MS, timerMs, type LoopManagerOptions } from '../options.js';
import type { LoopControl } from '../registry/control.js';
import { checkRun, diedSilently, ownLoopThread } from '../registry/reaper.js';
import { newOsThread, osThreadIds } from '../registry/threads.js';
import type { Registry } from '../registry/registry.js';
import { ClientLane } from './client-lane.js';
import { codeCacheNotMade, keepCodeCache, loopSpawn } from './code-cache.js';
import { newWorkerWithParentFlags, withBootGuard } from './exec-argv.js';
import { ignoresWorkerExecArgv, workerIsOneOsThread } from '../runtime.js';
import { fileBesideEntry, resolveLoopEntry } from './loop-entry.js';

/** How the owner spawns its loop thread. */
export type WorkerOptions = Pick<LoopManagerOptions, 'resourceLimits' | 'execArgv' | 'env' | 'loopEntry'>;

// Built beside the loop thread's entry: preloaded first into every loop thread, it reports a death
// before boot. Optional: a bundle that emitted only loop-thread.js runs without it.
function bootGuard(entry: URL): string | undefined {
  const url = fileBesideEntry(entry, 'boot-guard.cjs');
  return url && fileURLToPath(url);
}

/** The cause of a loop thread's exit that nothing else explains. */
const exitedWith = (code: number): Error => new Error(`The loop thread exited with code ${code}`);

/** The cause of a death the boot guard reported: the uncaught error, else the exit code. */
const bootFailureCause = (failure: BootFailure): unknown => (failure.error ? fromErrorData(failure.error) : exitedWith(failure.exitCode));

/** What only tests change: a test that runs this module from source points it at the built entry. */
export interface RunSeams {
  /** Where the owner lane's call ids start (a test of the 2^32 wrap). */
  readonly firstCallId?: number;
  /** The loop thread's entry. */
  readonly entry?: URL;
}

/** This thread's runs whose thread has not exited: a blocked wait on any of them probes them all. */
const liveRuns = new Set<LoopRun>();

export class LoopRun {
  readonly gen: number;
  /** Names this run's channels: process, slot and generation. */
  readonly key: string;
  readonly control: LoopControl;
  readonly worker: Worker;
  /** The owner's lane: its side channel is a port handed over in workerData. */
  readonly lane: ClientLane;
  /** Resolves with the exit code once the thread has exited. */
  readonly exited: Promise<number>;
  /** The port whose other end the loop thread holds: posting on it fails once the thread is gone. */
  private readonly lifePort: MessagePort;
  private lastError: unknown;
  /** Whether this run's thread was asked to make the loop thread's code cache (code-cache.ts). */
  private readonly makesCodeCache: boolean;
  /** What the boot guard posted on the life port. */
  private failure: BootFailure | undefined;
  /** The loop thread's entry file, and the boot guard it preloads (undefined: none beside it, or a runtime whose Workers run no preload). */
  private readonly entry: URL;
  private readonly guard: string | undefined;

  constructor(
    reg: Registry,
    private readonly slot: number,
    private readonly name: string,
    taskType: string | null,
    options: WorkerOptions,
    seams: RunSeams = {},
  ) {
    // First, so that a missing entry changes nothing: LoopEntryNotFoundError, and the manager stays as it was.
    const entry = seams.entry ?? resolveLoopEntry(options.loopEntry);
    this.entry = entry;
    // Where a Worker runs no preload (Bun, Deno), the guard's --require would only show in task code's process.execArgv.
    this.guard = ignoresWorkerExecArgv ? undefined : bootGuard(entry);
    for (const run of liveRuns) run.readLife(); // a code cache one of them posted serves this start
    const spawn = loopSpawn(entry);
    this.makesCodeCache = spawn.makeCodeCache;
    this.gen = reg.beginRun(slot, taskType);
    this.key = `${process.pid}.${slot}.${this.gen}`;
    this.control = reg.control(slot, this.gen);
    this.control.startedAt = sharedNowMs();
    const memory = createLaneMemory();
    const side = new MessageChannel();
    const life = new MessageChannel();
    const boot: LoopBootData & { lifePort: MessagePort } = {
      registry: reg.memory,
      slot,
      gen: this.gen,
      loopKey: this.key,
      name,
      taskType,
      ownerLane: { memory, laneId: 0, threadId, port: side.port2 },
      lifePort: life.port2,
      ...(spawn.codeCache && { codeCache: spawn.codeCache }),
      ...(spawn.makeCodeCache && { makeCodeCache: true }),
    };
    const create = (execArgv: string[]): Worker =>
      new Worker(spawn.file, {
        workerData: boot,
        transferList: [side.port2, life.port2],
        ...(options.resourceLimits && { resourceLimits: options.resourceLimits }),
        execArgv: withBootGuard(execArgv, this.guard),
        ...(options.env && { env: options.env }),
      });
    const threadsBefore = workerIsOneOsThread ? osThreadIds() : null;
    try {
      this.worker = options.execArgv ? create([...options.execArgv]) : newWorkerWithParentFlags(create);
    } catch (err) {
      // No thread was made (execArgv or env refused): the run ends here, stopped, so neither
      // this manager nor a handle in another thread waits for a loop that will never boot.
      this.control.setState(LoopState.Stopped);
      if (spawn.makeCodeCache) codeCacheNotMade(entry);
      side.port1.close();
      life.port1.close();
      throw err;
    }
    this.worker.unref();
    this.trackLoopThread(reg, newOsThread(threadsBefore));
    ownLoopThread(this.worker); // its exit is handled here, with its real cause
    liveRuns.add(this);
    this.lifePort = life.port1;
    this.lifePort.unref();
    const link = { loopKey: this.key, control: this.control, name, probe: () => this.probe() };
    this.lane = new ClientLane(link, memory, new PortSideChannel(side.port1), seams.firstCallId);
    let onExit!: (code: number) => void;
    this.exited = new Promise<number>((resolve) => (onExit = resolve));
    this.worker.on('error', (err) => {
      this.lastError = err;
    });
    this.worker.on('exit', (code) => {
      this.ended(code);
      onExit(code);
    });
  }

  /**
   * Gives the loop thread its row in the thread table now, under the OS thread its Worker
   * constructor just made (`osId`, 0 when unknown). A thread that dies before it runs any
   * JavaScript (out of memory while it boots) never registers itself, nor says it died, and
   * its Worker's 'exit' event runs on this thread's event loop, which a blocked result() holds:
   * with the row, the reaper sees the OS thread gone (reaper.ts) and wakes the caller.
   */
  private trackLoopThread(reg: Registry, osId: number): void {
    if (osId > 0 && reg.threads.register(this.worker.threadId, threadId, osId)) this.control.loopThreadId = this.worker.threadId;
  }

  /**
   * Called while this thread blocks on the loop. Every loop this thread owns is
   * probed, not only this one: the loop blocked on may be waiting for another of
   * them, whose death (out of memory) this thread's event loop cannot report
   * while it is blocked.
   */
  private probe(): void {
    for (const run of liveRuns) run.probeSelf();
  }

  /** A loop thread that died unseen is marked crashed here. */
  private probeSelf(): void {
    if (this.control.ended) return;
    checkRun(this.slot, this.control);
    if (!this.control.ended && !peerAlive(this.lifePort)) {
      const failure = this.bootFailure();
      if (failure) this.control.markCrashed(failure.exitCode, bootFailureCause(failure));
      else this.control.markCrashed(1, this.silentDeath());
    }
    if (this.control.ended) this.lane.onLoopEnded();
  }

  /**
   * Why a thread that told nothing died: one that never booted, with no guard
   * to report its death, failed to load (a load error runs JavaScript, which a
   * guard would have heard); any other ran out of memory.
   */
  private silentDeath(): Error {
    if (this.guard === undefined && this.control.state === LoopState.Starting) {
      return new LoopEntryLoadError(this.entry.protocol === 'file:' ? fileURLToPath(this.entry) : this.entry.href);
    }
    return diedSilently();
  }

  /** What the boot guard posted, if the thread died before the loop booted. */
  private bootFailure(): BootFailure | undefined {
    this.readLife();
    return this.failure;
  }

  /** Takes what the loop thread posted on the life port: a boot failure, or a code cache for later starts. */
  private readLife(): void {
    for (let received = receiveMessageOnPort(this.lifePort); received; received = receiveMessageOnPort(this.lifePort)) {
      const message = received.message as BootFailure | CodeCacheMessage;
      if (message?.kind === BOOT_FAILURE) this.failure ??= message;
      else if (message?.kind === CODE_CACHE) keepCodeCache(this.entry, message.bytes);
    }
  }

  private ended(code: number): void {
    liveRuns.delete(this);
    this.readLife();
    if (this.makesCodeCache) codeCacheNotMade(this.entry);
    const control = this.control;
    if (control.state !== LoopState.Stopped) {
      // The guard's record first: a blocked owner builds the same error from it.
      const failure = this.bootFailure();
      const cause = failure ? bootFailureCause(failure) : (this.lastError ?? exitedWith(code));
      // The loop thread may have recorded its own death (process.exit, an uncaught error) first.
      const recorded = control.markCrashed(code, cause) ? `: ${String(cause)}` : '';
      debug('loop %s crashed: its thread exited with code %d%s', this.name, code, recorded);
    } else {
      debug('loop %s stopped: its thread exited with code %d', this.name, code);
    }
    this.lane.onLoopEnded();
    this.lane.close();
    this.lifePort.close();
  }

  /**
   * Asks the loop to stop and waits for its thread to exit. After `timeoutMs`
   * the loop cancels what still runs (a task that never settles would hold the
   * stop forever), and a thread that has not exited STOP_GRACE_MS later (one
   * stuck in a CPU-bound task cannot take the request) is terminated.
   */
  async stop(cancelPending: boolean, timeoutMs: number | undefined): Promise<void> {
    if (!this.control.ended) this.control.requestStop(cancelPending ? StopMode.CancelPending : StopMode.Graceful);
    this.worker.ref(); // a script whose last act is `await mgr.stop()` must live to see the exit
    let timer: NodeJS.Timeout | undefined;
    const limit = timerMs(timeoutMs);
    if (limit !== undefined) {
      timer = setTimeout(() => {
        debug('loop %s did not stop within %d ms: cancelling its tasks', this.name, limit);
        if (!this.control.ended) this.control.requestStop(StopMode.CancelPending);
        timer = setTimeout(() => {
          debug('loop %s did not exit %d ms after cancelling: terminating', this.name, STOP_GRACE_MS);
          this.control.setState(LoopState.Stopped);
          void this.worker.terminate();
        }, STOP_GRACE_MS);
      }, limit);
    }
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

}
