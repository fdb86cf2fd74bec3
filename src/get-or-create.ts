/**
 * getOrCreateLoopManager: find the manager for an id through this thread's
 * lineage (this thread, then its parent, up to the main thread), or make one.
 */
import { ManagerNotFound } from './errors.js';
import { lineage } from './registry/lineage.js';
import { LoopManager, managerForSlot } from './loop-manager.js';
import { checkBoolean, checkId, checkKnown, checkOptions } from './options.js';
import { DEFAULT_LOOP_ID, registry } from './registry/registry.js';

export interface GetOrCreateOptions {
  /** Which loop; default: the default loop. */
  id?: string | number;
  /** Skip resolution: create a fresh manager for this thread, replacing this thread's entry for the id. */
  forceCreate?: boolean;
  /** Resolve only: throw ManagerNotFound instead of creating. */
  strictlyGet?: boolean;
}

/**
 * The manager for `id` of this thread or its nearest ancestor that has one (a
 * handle when it belongs to another thread); otherwise a new one owned and
 * registered by this thread.
 */
export function getOrCreateLoopManager(opts?: GetOrCreateOptions): LoopManager {
  const o = checkOptions(opts, 'getOrCreateLoopManager()');
  checkKnown(o, ['id', 'forceCreate', 'strictlyGet'], 'getOrCreateLoopManager()');
  checkId(o.id);
  checkBoolean(o.forceCreate, 'forceCreate');
  checkBoolean(o.strictlyGet, 'strictlyGet');
  if (o.forceCreate && o.strictlyGet) throw new TypeError('The "forceCreate" and "strictlyGet" options cannot both be true');
  const userId = o.id as string | number | undefined;
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
    const slot = reg.find(thread, id);
    if (slot >= 0) return managerForSlot(slot);
  }
  return undefined;
}
