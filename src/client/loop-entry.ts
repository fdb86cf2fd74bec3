/**
 * Where the loop thread's entry file is: the manager's `loopEntry` option, else the
 * SIDELOOP_LOOP_ENTRY environment variable, else loop-thread.js beside the file that holds
 * this code (dist/ when installed; a bundle's output folder once bundled). A missing file is
 * named at start(): a Worker given one dies after it was spawned, and its caller would only
 * learn that the loop crashed.
 * @internal
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LoopEntryNotFoundError } from '../errors.js';

export const LOOP_ENTRY_ENV = 'SIDELOOP_LOOP_ENTRY';

/** loop-thread.js beside this code, or undefined when nothing says where this code is. */
function besideThisCode(): URL | undefined {
  // Spelled as bundlers that follow asset URLs expect (webpack, Parcel, Vite): they copy the
  // file, which is self-contained, and rewrite the URL. esbuild leaves it as it is.
  if (import.meta.url) return new URL('./loop-thread.js', import.meta.url);
  // A bundler turned this ESM build into CommonJS and left import.meta empty: the main script's
  // folder, the bundle's when it is run directly. (Not __filename: the build would shim it
  // through import.meta too.)
  const main = typeof require === 'function' ? require.main?.filename : undefined;
  return main === undefined ? undefined : pathToFileURL(join(dirname(main), 'loop-thread.js'));
}

/** Whether `entry` is sideloop's own loop-thread.js, not one a user named (loopEntry, SIDELOOP_LOOP_ENTRY). */
export function isOwnLoopEntry(entry: URL): boolean {
  return entry.href === besideThisCode()?.href;
}

/** By URL: whether a file the loop thread's entry may have beside it exists (asked once per file). */
const besideEntry = new Map<string, URL | undefined>();

/**
 * `name` in the entry's folder, if that file exists: the boot guard, the CommonJS loop thread.
 * All optional: a bundle that emitted only loop-thread.js runs without them.
 */
export function fileBesideEntry(entry: URL, name: string): URL | undefined {
  const url = new URL(`./${name}`, entry);
  if (!besideEntry.has(url.href)) besideEntry.set(url.href, url.protocol === 'file:' && existsSync(url) ? url : undefined);
  return besideEntry.get(url.href);
}

/** A file URL for an absolute path or a file: URL (string or URL); undefined for anything else. */
function toFileUrl(entry: URL | string): URL | undefined {
  if (entry instanceof URL) return entry.protocol === 'file:' ? entry : undefined;
  if (entry.startsWith('file:')) return new URL(entry);
  return isAbsolute(entry) ? pathToFileURL(entry) : undefined;
}

function isFile(url: URL): boolean {
  return statSync(fileURLToPath(url), { throwIfNoEntry: false })?.isFile() === true;
}

/** The entry to spawn a loop thread from; throws LoopEntryNotFoundError naming where it looked. */
export function resolveLoopEntry(option: URL | string | undefined): URL {
  const fromEnv = process.env[LOOP_ENTRY_ENV] || undefined;
  const given = option ?? fromEnv;
  const source = option !== undefined ? 'the loopEntry option' : fromEnv !== undefined ? LOOP_ENTRY_ENV : 'beside sideloop';
  const url = given === undefined ? besideThisCode() : toFileUrl(given);
  if (url !== undefined && isFile(url)) return url;
  const where = url !== undefined ? fileURLToPath(url) : String(given ?? 'an unknown place (import.meta.url is empty and there is no main module)');
  throw new LoopEntryNotFoundError(where, source);
}
