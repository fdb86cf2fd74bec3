/**
 * This thread's manager objects, by registry slot: the owners it made and the
 * handles it resolved for other threads' managers, so one slot reads as one
 * object in a thread. When the thread exits, its managers go too.
 * @internal
 */
import { threadId } from 'node:worker_threads';
import { LoopManager } from '../loop-manager.js';
import { registry } from './registry.js';

const objects = new Map<number, LoopManager>();

/** The manager object for a slot: the owner if this thread made it, else a handle; undefined when the slot was freed meanwhile. */
export function managerForSlot(slot: number): LoopManager | undefined {
  let manager = objects.get(slot);
  if (!manager || manager.slotGone()) {
    manager = LoopManager.handle(registry(), slot);
    if (manager) objects.set(slot, manager);
    else objects.delete(slot);
  }
  return manager;
}

/** A manager this thread just made owns `slot`. */
export function rememberOwner(slot: number, manager: LoopManager): void {
  objects.set(slot, manager);
}

/** The manager of `slot` was disposed. */
export function forgetSlot(slot: number, manager: LoopManager): void {
  if (objects.get(slot) === manager) objects.delete(slot);
}

/**
 * When this thread ends, its managers go too: their loops die with it, and their entries are
 * removed. Its row in the thread table goes now if no thread it spawned has one; else the
 * thread's parent (or whoever sees its OS thread gone) removes it, with its children's.
 */
process.once('exit', () => {
  const reg = registry();
  for (const slot of reg.slotsClaimedBy(threadId)) {
    const control = reg.control(slot, reg.gen(slot));
    control.markCrashed(null, new Error(`The loop's owner thread (${threadId}) exited`));
    reg.release(slot);
  }
  if (reg.threads.hasChildren(threadId)) reg.threads.markExiting(threadId);
  else reg.threads.remove(threadId);
});
