/**
 * Cross-loop deadlocks. A loop thread blocked in `result()` runs none of its
 * tasks, so loops blocked on each other in a cycle (a task in A blocks on B
 * while a task in B blocks on A, or A -> B -> C -> A) would wait forever.
 * Each loop thread records in its control block which loop run it is blocked
 * on (C_BLOCKED_ON); before a loop thread blocks, it follows those records
 * from its target, and if they lead back to itself, its wait would close a
 * cycle: it throws DeadlockError instead, and the loops it would have waited
 * for go on undisturbed. Threads that host no loop cannot be waited on, so
 * they record nothing and check nothing.
 *
 * The check and the record are made under one lock in the registry header,
 * so of two waits that close a cycle at the same moment exactly one sees the
 * other: the later one throws. The lock is held for a walk of at most a few
 * hundred words; a holder that died inside it (terminate()) is overtaken
 * after STALE_LOCK_MS.
 * @internal
 */
import { nowMs } from '../clock.js';
import { threadId } from 'node:worker_threads';
import { C_BLOCKED_ON, H_WAITS_LOCK, REGISTRY_HEADER_BYTES, REGISTRY_SLOTS, LoopState } from '../channel/protocol.js';
import { DeadlockError } from '../errors.js';
import { registry, type Registry } from '../registry/registry.js';

const STALE_LOCK_MS = 1000;
/** A record packs the run's slot (+1, 10 bits) and the low bits of its generation. */
const SLOT_BITS = 10;
const GEN_MASK = (1 << (31 - SLOT_BITS)) - 1;

interface Run {
  readonly slot: number;
  readonly gen: number;
}

/** The run a loop key names: keys are `${pid}.${slot}.${gen}` (loop-run.ts, remote-lane.ts). */
function runOf(loopKey: string): Run {
  const [, slot, gen] = loopKey.split('.');
  return { slot: Number(slot), gen: Number(gen) & GEN_MASK };
}

function blockedOnWord(reg: Registry, slot: number): Int32Array {
  return reg.control(slot, reg.gen(slot)).words;
}

/**
 * This loop thread (hosting run `hostKey`) is about to block on run
 * `targetKey`: throws DeadlockError if that closes a cycle, else records the
 * wait and returns what ends it.
 */
export function enterBlockedWait(hostKey: string, targetKey: string, what: string): () => void {
  const reg = registry();
  const host = runOf(hostKey);
  const target = runOf(targetKey);
  const header = new Int32Array(reg.memory, 0, REGISTRY_HEADER_BYTES >>> 2);
  const words = blockedOnWord(reg, host.slot);
  lock(header);
  let cycle: number[] | undefined;
  try {
    cycle = findCycle(reg, host, target);
    if (cycle === undefined) Atomics.store(words, C_BLOCKED_ON, ((target.gen << SLOT_BITS) | (target.slot + 1)) >>> 0);
  } finally {
    unlock(header);
  }
  if (cycle !== undefined) {
    const names = cycle.map((slot) => JSON.stringify(reg.identity(slot)?.name ?? `slot ${slot}`));
    throw new DeadlockError(
      `Blocking on ${what} would deadlock: loops block on each other in a cycle, ${names.join(' -> ')} (this thread hosts loop ${names[0]}); await the future instead, or break the cycle`,
    );
  }
  return () => Atomics.store(words, C_BLOCKED_ON, 0);
}

/** The slots of the cycle host -> target -> ... -> host, if the recorded waits close one. */
function findCycle(reg: Registry, host: Run, target: Run): number[] | undefined {
  const path = [host.slot];
  let at = target;
  for (let step = 0; step <= REGISTRY_SLOTS; step++) {
    path.push(at.slot);
    if (at.slot === host.slot && at.gen === host.gen) return path;
    // A record about a run that has ended, or a slot that has moved on to another run, counts for nothing.
    if ((reg.gen(at.slot) & GEN_MASK) !== at.gen) return undefined;
    const control = reg.control(at.slot, reg.gen(at.slot));
    const state = control.state;
    if (state !== LoopState.Running && state !== LoopState.Stopping) return undefined;
    const record = Atomics.load(control.words, C_BLOCKED_ON);
    if (record === 0) return undefined;
    at = { slot: (record & ((1 << SLOT_BITS) - 1)) - 1, gen: record >>> SLOT_BITS };
  }
  return undefined;
}

function lock(header: Int32Array): void {
  const me = threadId + 1;
  let since = 0;
  for (;;) {
    const holder = Atomics.compareExchange(header, H_WAITS_LOCK, 0, me);
    if (holder === 0) return;
    const now = nowMs();
    if (since === 0) since = now;
    else if (now - since > STALE_LOCK_MS && Atomics.compareExchange(header, H_WAITS_LOCK, holder, me) === holder) return;
    Atomics.wait(header, H_WAITS_LOCK, holder, 1);
  }
}

function unlock(header: Int32Array): void {
  Atomics.store(header, H_WAITS_LOCK, 0);
  Atomics.notify(header, H_WAITS_LOCK, 1);
}
