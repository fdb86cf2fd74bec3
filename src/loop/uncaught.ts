/**
 * Hears the error that is about to end this thread, on every runtime.
 * @internal
 */

/** The global scope as Bun's and Deno's workers have it: an EventTarget with 'error' events. */
type ErrorEvents = { addEventListener?: (type: 'error', listener: (event: { error?: unknown }) => void) => void };

/**
 * Calls `note` with each uncaught error: through `uncaughtExceptionMonitor`, and through the
 * global scope's 'error' event where there is one. Bun's workers do not always emit the monitor:
 * under `bun test` they emit it for no uncaught error, and nowhere for an unhandled rejection;
 * the 'error' event fires for both. Neither listener handles the error: the thread still dies.
 */
export function onUncaught(note: (error: unknown) => void): void {
  process.on('uncaughtExceptionMonitor', (error) => note(error));
  const scope = globalThis as ErrorEvents;
  if (typeof scope.addEventListener === 'function') scope.addEventListener('error', (event) => note(event.error));
}
