// Tasks for the demo. They run inside loop threads; each one is plain async code.
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';

/** Pretends to render a page: async work that takes a little while. */
export async function renderPage(name, items) {
  await sleep(20);
  return { html: `<h1>${name}</h1><ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`, renderedOnThread: threadId };
}

/** Pretends to fetch updates from a slow service. */
export async function fetchUpdates(since) {
  await sleep(50);
  return { since, updates: [`update after ${since}`, 'another update'], fetchedOnThread: threadId };
}

/** Reads this package's own package.json with real async file I/O. */
export async function readManifest() {
  const { readFile } = await import('node:fs/promises');
  const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
  return `${manifest.name}@${manifest.version}`;
}
