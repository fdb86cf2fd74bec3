/**
 * The loop thread's cheapest way to wait for its next request: block the whole
 * thread in Atomics.wait, as piscina's idle worker does. A submitter's
 * doorbell then costs one futex hand-off. A park in Atomics.waitAsync costs
 * more per wake-up: the notify goes through V8's task queue and wakes libuv's
 * epoll through an eventfd, then the event loop turns to run the task
 * (strace: two epoll_pwait and an eventfd write per round trip).
 *
 * Blocking stops the event loop, so it is done only when that delays nothing
 * anyone waits for (wait-policy.ts, loopMayBlock): no task of any lane is
 * running, and nothing holds the event loop but what held it when the loop
 * started (no timer, socket, child process or file request that a task left
 * behind: process.getActiveResourcesInfo() lists the ref'd ones). And only for
 * LOOP_BLOCK_MS: then the event loop turns and the loop parks in waitAsync as
 * before, so what holds no ref (an unref'd timer a task left) runs at most
 * that much late, and an idle loop costs nothing.
 *
 * Listing the resources costs 0.57 us warm (more cold, after a context switch),
 * and on one core the loop parks after every call: it lists them at most every
 * RESOURCES_EVERY_MS. So a timer or socket that a task left behind may wait up
 * to that long, plus one block, before the loop stops blocking for it.
 * @internal
 */
import { nowMs } from '../clock.js';
import { LOOP_BLOCK_MS, RESOURCES_EVERY_MS, loopMayBlock } from '../channel/wait-policy.js';
import { policyCounter } from '../debug.js';

type ResourcesInfo = () => string[];
const activeResources = (process as unknown as { getActiveResourcesInfo?: ResourcesInfo }).getActiveResourcesInfo;

/** How a block ended. */
export const enum Blocked {
  /** Not blocked: the loop parks in waitAsync. */
  No = 0,
  /** The doorbell rang (or had rung before the block): pump now. */
  Rang = 1,
  /** Nothing came within LOOP_BLOCK_MS: the event loop turns, then the loop parks in waitAsync. */
  TimedOut = 2,
}

/** How many times this thread's loop blocked (debug.ts, policyCounter). */
const countBlock = policyCounter('idleBlocks');

export class IdleBlock {
  /** Resources holding the event loop when the loop started: its own keep-alive and the runtime's. -1 until known. */
  private baseline = -1;
  /** How many resources the last listing found, and when to list again (nowMs()). */
  private listed = 0;
  private listAfter = 0;

  constructor(
    /** Whether everything the loop reads arrives without the event loop turning (receiveMessageOnPort reads the channels). */
    private readonly readsWhileBlocked: boolean,
  ) {}

  /** The loop runs: what holds its event loop now is its own. */
  started(): void {
    // Requests (a handle closing, a file read) end by themselves: one in flight now is nobody's later.
    this.baseline = activeResources ? activeResources().filter((kind) => !kind.includes('Req')).length : -1;
  }

  /** Whether this loop ever blocks its thread (not before it started, nor where its channels arrive only as events). */
  get possible(): boolean {
    return this.baseline >= 0 && this.readsWhileBlocked;
  }

  /** Blocks until the doorbell at `index` moves from `bell` or LOOP_BLOCK_MS pass, when `tasksRunning` is 0 and nothing else waits for the event loop. */
  block(words: Int32Array, index: number, bell: number, tasksRunning: number): Blocked {
    if (!this.possible || tasksRunning > 0) return Blocked.No;
    if (!loopMayBlock(tasksRunning, this.resources(), this.baseline)) return Blocked.No;
    countBlock();
    return Atomics.wait(words, index, bell, LOOP_BLOCK_MS) === 'timed-out' ? Blocked.TimedOut : Blocked.Rang;
  }

  /** How many resources hold the event loop, as listed at most RESOURCES_EVERY_MS ago. */
  private resources(): number {
    const now = nowMs();
    if (now >= this.listAfter) {
      this.listed = activeResources!().length;
      this.listAfter = now + RESOURCES_EVERY_MS;
    }
    return this.listed;
  }
}
