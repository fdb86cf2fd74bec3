// The update domain: background work that keeps a store fresh. It runs in the 'updating'
// loop only, so its timers, awaits and module state never share an event loop with rendering.
import { currentSignal } from 'sideloop';

const store = { version: 0, items: [] };

/** Long-polls for changes until cancelled: each tick is a new version of the store. */
export async function poll(tickMs) {
  const signal = currentSignal();
  while (!signal.aborted) {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, tickMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (signal.aborted) break;
    store.version++;
    store.items.push(`item ${store.version}`);
  }
  return store.version;
}

/** A copy of the store as it is now. */
export async function snapshot() {
  return { version: store.version, items: store.items.slice(-3) };
}
