/**
 * getOrCreateLoopManager: find the manager for an id through this thread's
 * lineage (this thread, then its parent, up to the main thread), or make one.
 */
import { ManagerNotFound } from './errors.js';
import { lineage } from './registry/lineage.js';
import { LoopManager } from './loop-manager.js';
import { managerForSlot } from './registry/handles.js';
import { checkGetOrCreateOptions, type GetOrCreateOptions } from './options.js';
import { DEFAULT_LOOP_ID, registry } from './registry/registry.js';

/**
 * The manager for `id` of this thread or its nearest ancestor that has one (a
 * handle when it belongs to another thread); otherwise a new one owned and
 * registered by this thread.
 */
export function getOrCreateLoopManager(opts?: GetOrCreateOptions): LoopManager {
  const o = checkGetOrCreateOptions(opts);
  const userId = o.id;
  if (!o.forceCreate) {
    const found = resolve(userId ?? DEFAULT_LOOP_ID);
    if (found) return found;
    if (o.strictlyGet) throw new ManagerNotFound(userId, lineage());
  }
  return new LoopManager(userId === undefined ? {} : { id: userId });
}

function resolve(id: string | number | typeof DEFAULT_LOOP_ID): LoopManager | undefined {
  const reg = registry();
  for (const thread of lineage()) {
    // A slot freed between the lookup and the read is looked up again.
    for (let attempt = 0; attempt < 100; attempt++) {
      const slot = reg.find(thread, id);
      if (slot < 0) break;
      const manager = managerForSlot(slot);
      if (manager) return manager;
    }
  }
  return undefined;
}
