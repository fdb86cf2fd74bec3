/**
 * Node builtins that sideloop needs only on some paths, loaded at their first use. Every builtin
 * a loop thread imports is compiled when the thread starts, and a loop's start-up is what a CLI
 * pays on every run: node:v8 alone pulls in streams and heap utilities, node:util its MIME and
 * argument parsers (together ~3 ms of a ~50 ms start, on the loop thread's critical path).
 *
 * process.getBuiltinModule (Node 20.16+, 22.3+, Bun, Deno) loads one synchronously from ESM and
 * CommonJS alike; elsewhere a require made for this file does.
 * @internal
 */
import { createRequire } from 'node:module';

type Load = (id: string) => unknown;
const getBuiltinModule = (process as { getBuiltinModule?: Load }).getBuiltinModule;
let required: Load | undefined;

function load(id: string): unknown {
  if (typeof getBuiltinModule === 'function') return getBuiltinModule.call(process, id);
  required ??= createRequire(import.meta.url);
  return required(id);
}

/** A getter for builtin `id`, which loads it on its first call. */
export function lazyBuiltin<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(id) as T);
}
