/**
 * Thread lineage: this thread and its ancestors, nearest first, up to the main
 * thread. A worker inherits its parent's environment data when it is spawned,
 * so each thread that loads sideloop extends the chain it inherited and leaves
 * the result for the workers it spawns later: no globals are patched.
 */
import { getEnvironmentData, setEnvironmentData, threadId } from 'node:worker_threads';
import { LINEAGE_ENV_KEY } from '../channel/protocol.js';

interface LineageRecord {
  readonly threadId: number;
  readonly chain: readonly number[];
}

function init(): readonly number[] {
  const inherited = getEnvironmentData(LINEAGE_ENV_KEY) as LineageRecord | undefined;
  // Another copy of sideloop (the CommonJS build, say) may have done this already in this thread.
  if (inherited?.threadId === threadId) return inherited.chain;
  const chain = [threadId, ...(inherited?.chain ?? [])];
  setEnvironmentData(LINEAGE_ENV_KEY, { threadId, chain } satisfies LineageRecord);
  return chain;
}

const chain = init();

/** This thread's id, then its parent's, and so on up to the main thread (0). */
export function lineage(): readonly number[] {
  return chain;
}
