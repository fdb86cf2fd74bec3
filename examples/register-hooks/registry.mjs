// The async side of the loader, run in a loop thread: a module registry that can only be read
// asynchronously (here files read with fs/promises; in real life a network service, a
// database, a cache that must be awaited). Module state lives as long as the loop.
import { readFile } from 'node:fs/promises';

const index = new URL('./modules/index.json', import.meta.url);
let names; // read once, on first use
let lookups = 0;

/** Resolves `remote:<name>` to the URL it is served under; throws for an unknown name. */
export async function resolveRemote(name) {
  names ??= JSON.parse(await readFile(index, 'utf8'));
  lookups++;
  const file = names[name];
  if (file === undefined) throw new Error(`no remote module named ${JSON.stringify(name)}`);
  return `remote:${name}@${file}`;
}

/** The source text behind a URL resolveRemote gave. */
export async function fetchSource(url) {
  const file = url.slice(url.indexOf('@') + 1);
  return readFile(new URL(`./modules/${file}`, import.meta.url), 'utf8');
}

export async function stats() {
  return { lookups };
}
