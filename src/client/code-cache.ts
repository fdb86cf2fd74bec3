/**
 * The file a loop thread starts from, and the V8 code cache it is given: on
 * Node, for sideloop's own entry, loop-thread-cached.cjs beside it
 * (loop/cached-entry.ts), with the cache that an earlier loop thread of this
 * thread posted; elsewhere, for an entry a user named, or without those files
 * beside it (a bundle that emitted loop-thread.js alone), the entry itself.
 * @internal
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { nodeCompatRuntime } from '../runtime.js';
import { isOwnLoopEntry } from './loop-entry.js';

/** Bun and Deno have no V8 code cache to give; Node before 20.12 cannot import() from a vm.Script with its own loader. */
const canCache = !nodeCompatRuntime && vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER !== undefined;

/** By entry URL: the cached entry beside it, or null when there is none. */
const cachedEntries = new Map<string, URL | null>();
/** By entry URL: the code cache a loop thread posted. */
const caches = new Map<string, Uint8Array>();

export interface LoopSpawn {
  readonly file: URL;
  readonly codeCache: Uint8Array | undefined;
}

export function loopSpawn(entry: URL): LoopSpawn {
  const cached = canCache ? cachedEntryBeside(entry) : null;
  return cached ? { file: cached, codeCache: caches.get(entry.href) } : { file: entry, codeCache: undefined };
}

/** Keeps a cache a loop thread posted, for the next loop this thread starts from `entry`. */
export function keepCodeCache(entry: URL, bytes: Uint8Array): void {
  caches.set(entry.href, bytes);
}

function cachedEntryBeside(entry: URL): URL | null {
  let found = cachedEntries.get(entry.href);
  if (found === undefined) {
    const stub = new URL('./loop-thread-cached.cjs', entry);
    const build = new URL('./loop-thread.cjs', entry);
    const usable = isOwnLoopEntry(entry) && existsSync(fileURLToPath(stub)) && existsSync(fileURLToPath(build));
    found = usable ? stub : null;
    cachedEntries.set(entry.href, found);
  }
  return found;
}
