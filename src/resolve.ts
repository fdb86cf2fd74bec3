/**
 * getOrCreateLoopManager: find the manager for an id, or make one.
 */
import { threadId } from 'node:worker_threads';
import { ManagerNotFound } from './errors.js';
import { LoopManager } from './loop-manager.js';
import { checkBoolean, checkId, checkKnown, checkOptions } from './options.js';
import { DEFAULT_LOOP_ID, lookup } from './registry.js';

export interface GetOrCreateOptions {
  /** Which loop; default: the default loop. */
  id?: string | number;
  /** Skip resolution: create a fresh manager for this thread, replacing this thread's entry for the id. */
  forceCreate?: boolean;
  /** Resolve only: throw ManagerNotFound instead of creating. */
  strictlyGet?: boolean;
}

export function getOrCreateLoopManager(opts?: GetOrCreateOptions): LoopManager {
  const o = checkOptions(opts, 'getOrCreateLoopManager()');
  checkKnown(o, ['id', 'forceCreate', 'strictlyGet'], 'getOrCreateLoopManager()');
  checkId(o.id);
  checkBoolean(o.forceCreate, 'forceCreate');
  checkBoolean(o.strictlyGet, 'strictlyGet');
  if (o.forceCreate && o.strictlyGet) throw new TypeError('The "forceCreate" and "strictlyGet" options cannot both be true');
  const id = (o.id as string | number | undefined) ?? DEFAULT_LOOP_ID;
  if (!o.forceCreate) {
    const found = lookup(id);
    if (found) return found;
    if (o.strictlyGet) throw new ManagerNotFound(o.id as string | number | undefined, [threadId]);
  }
  return new LoopManager(o.id === undefined ? {} : { id: o.id as string | number });
}
