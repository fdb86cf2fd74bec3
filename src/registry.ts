/**
 * The registry of loop managers: per thread, per id.
 * (This thread's view; lineage across threads builds on it.)
 */
import { threadId } from 'node:worker_threads';
import type { LoopManager } from './loop-manager.js';

/** The id of the default loop: a registered symbol, so no string or number id can equal it. */
export const DEFAULT_LOOP_ID: unique symbol = Symbol.for('sideloop.defaultLoop');
export type LoopId = string | number | typeof DEFAULT_LOOP_ID;

const byId = new Map<LoopId, LoopManager>();
const live = new Set<LoopManager>();

export function register(manager: LoopManager): void {
  byId.set(manager.id, manager);
  live.add(manager);
}

export function forget(manager: LoopManager): void {
  if (byId.get(manager.id) === manager) byId.delete(manager.id);
  live.delete(manager);
}

export function lookup(id: LoopId): LoopManager | undefined {
  return byId.get(id);
}

export function allManagers(): LoopManager[] {
  return [...live];
}

export interface ManagerInfo {
  readonly id: LoopId;
  readonly name: string;
  readonly ownerThreadId: number;
  readonly state: string;
  readonly taskType: string | null;
}

export function registrySnapshot(): ReadonlyMap<number, ReadonlyMap<LoopId, ManagerInfo>> {
  const mine = new Map<LoopId, ManagerInfo>();
  for (const [id, m] of byId) {
    mine.set(id, { id, name: m.name, ownerThreadId: m.ownerThreadId, state: m.state, taskType: m.taskType });
  }
  return new Map([[threadId, mine]]);
}
