/**
 * `import()` for the modules a loop thread loads (task modules, make-synchronized
 * modules), with Bun's refusal of a URL scheme worded as Node words it.
 * @internal
 */
import { runtimeName } from '../runtime.js';

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
    return (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    const protocol = isBun && URL.canParse(specifier) ? new URL(specifier).protocol : 'file:';
    if (BUN_SCHEMES.has(protocol)) throw err;
    const refusal = new Error(`Only URLs with a scheme in: file, data, node and bun are supported by ${runtimeName}'s module loader. Received protocol '${protocol}'`, { cause: err });
    throw Object.assign(refusal, { code: 'ERR_UNSUPPORTED_ESM_URL_SCHEME' });
  }
}
