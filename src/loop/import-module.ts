/**
 * `import()` for the modules a loop thread loads (task modules, make-synchronized
 * modules), with Bun's refusal of a URL scheme worded as Node words it, and the
 * global eval that compiles inline tasks.
 * @internal
 */
import { runtimeName } from '../runtime.js';

/**
 * Where loop/cached-entry.ts lends its own `import()` and eval to the loop thread it compiled
 * with V8's code cache: on Node 20 a function compiled from that cache has lost its script's
 * import() handler (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), and the public handler warns that
 * it is experimental. Code that the entry's own module runs imports as any module does.
 */
export const MODULE_HOST = Symbol.for('sideloop.moduleHost.v1');
export interface ModuleHost {
  import(specifier: string): Promise<unknown>;
  /** Indirect eval: the source runs in the global scope, and its import() works. */
  evalGlobal(source: string): unknown;
}
const host = (globalThis as { [MODULE_HOST]?: ModuleHost })[MODULE_HOST];
const importHere = host?.import ?? ((specifier: string): Promise<unknown> => import(specifier));
export const evalGlobal: (source: string) => unknown = host?.evalGlobal ?? ((source) => (0, eval)(source));

/** Schemes Bun's module loader reads: Node's default loader's, and Bun's own built-ins. */
const BUN_SCHEMES = new Set(['file:', 'data:', 'node:', 'bun:']);
const isBun = (process.versions as Record<string, string | undefined>).bun !== undefined;

/**
 * Imports `specifier`. Bun cannot import from other schemes either, but says so as a file it
 * could not read ('ENOENT reading "https://..."') or a package it could not find: here it fails
 * with Node's code, ERR_UNSUPPORTED_ESM_URL_SCHEME, naming the runtime and the protocol.
 * Only after the import failed, so that a loader which does read a scheme keeps working.
 */
export async function importModule(specifier: string): Promise<Record<string, unknown>> {
  try {
    return (await importHere(specifier)) as Record<string, unknown>;
  } catch (err) {
    const protocol = isBun && URL.canParse(specifier) ? new URL(specifier).protocol : 'file:';
    if (BUN_SCHEMES.has(protocol)) throw err;
    const refusal = new Error(`Only URLs with a scheme in: file, data, node and bun are supported by ${runtimeName}'s module loader. Received protocol '${protocol}'`, { cause: err });
    throw Object.assign(refusal, { code: 'ERR_UNSUPPORTED_ESM_URL_SCHEME' });
  }
}
