/**
 * The file a loop thread starts from, and the V8 code cache it is given: on
 * Node, for sideloop's own entry, loop-thread-cached.cjs beside it
 * (loop/cached-entry.ts), with the cache that an earlier loop thread of this
 * thread posted; elsewhere, for an entry a user named, or without those files
 * beside it (a bundle that emitted loop-thread.js alone), the entry itself.
 * @internal
 */
import { nodeCompatRuntime } from '../runtime.js';
import { fileBesideEntry, isOwnLoopEntry } from './loop-entry.js';

/** Bun's engine is not V8; Deno's vm takes no code cache. */
const canCache = !nodeCompatRuntime;

/**
 * By entry URL: the code cache a loop thread posted, or ASKED while one loop thread is making
 * it. One at a time: ten loops started at once would otherwise each make one and post it
 * (~0.2 MB each, waiting on their life ports).
 */
const caches = new Map<string, Uint8Array | typeof ASKED>();
const ASKED = 'asked';

export interface LoopSpawn {
  readonly file: URL;
  /** The cache to compile from, if this thread has one. */
  readonly codeCache: Uint8Array | undefined;
  /** Whether this loop thread is to make the cache and post it. */
  readonly makeCodeCache: boolean;
}

export function loopSpawn(entry: URL): LoopSpawn {
  const cached = canCache ? cachedEntryBeside(entry) : undefined;
  const have = caches.get(entry.href);
  // Started while another loop thread makes the cache: nothing to gain from the cached entry, which
  // cost ~0.18 MB more RSS a thread when compiling without a cache (ten idle loops, bench/cases/idle.mjs).
  if (!cached || have === ASKED) return { file: entry, codeCache: undefined, makeCodeCache: false };
  if (have === undefined) caches.set(entry.href, ASKED);
  return { file: cached, codeCache: have, makeCodeCache: have === undefined };
}

/** Keeps a cache a loop thread posted, for the next loop this thread starts from `entry`. */
export function keepCodeCache(entry: URL, bytes: Uint8Array): void {
  caches.set(entry.href, bytes);
}

/** A loop thread asked to make the cache ended without posting one (terminated early): the next start asks again. */
export function codeCacheNotMade(entry: URL): void {
  if (caches.get(entry.href) === ASKED) caches.delete(entry.href);
}

/** The entry that compiles with the code cache, for sideloop's own entry with the CommonJS loop thread beside it. */
function cachedEntryBeside(entry: URL): URL | undefined {
  if (!isOwnLoopEntry(entry) || !fileBesideEntry(entry, 'loop-thread.cjs')) return undefined;
  return fileBesideEntry(entry, 'loop-thread-cached.cjs');
}
