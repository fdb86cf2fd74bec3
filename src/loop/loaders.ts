/**
 * Makes a loop thread load what its parent loads. Flags are inherited, but on
 * Node 20 a loader given with `--import` (tsx's, for one) registers its hooks
 * only in the main thread, so TypeScript task modules would not load. For tsx,
 * the loop thread registers it through tsx's own API.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { debug } from '../debug.js';
import { importModule } from './import-module.js';

const LOADER_FLAGS = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);

/** The values of loader flags in `execArgv`: `--import x` and `--import=x` alike. */
export function loaderSpecifiers(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const eq = arg.indexOf('=');
    if (eq > 0 && LOADER_FLAGS.has(arg.slice(0, eq))) out.push(arg.slice(eq + 1));
    else if (LOADER_FLAGS.has(arg) && i + 1 < execArgv.length) out.push(execArgv[++i]!);
  }
  return out;
}

/** Where the tsx package that `specifier` points into lives, if it does. */
function tsxRoot(specifier: string): string | undefined {
  let file: string;
  try {
    if (specifier.startsWith('file:')) file = fileURLToPath(specifier);
    else if (specifier.startsWith('/') || specifier.startsWith('.')) file = specifier;
    else file = createRequire(join(process.cwd(), 'noop.js')).resolve(specifier);
  } catch {
    return undefined;
  }
  const at = file.lastIndexOf(`${'/'}tsx${'/'}`);
  if (at < 0) return undefined;
  return file.slice(0, at + 4);
}

export async function inheritLoaders(execArgv: readonly string[]): Promise<void> {
  const roots = new Set(loaderSpecifiers(execArgv).map(tsxRoot).filter((r): r is string => r !== undefined));
  for (const root of roots) {
    try {
      const esm = (await importModule(pathToFileURL(join(root, 'dist/esm/api/index.mjs')).href)) as { register(): unknown };
      esm.register();
      const cjs = createRequire(join(dirname(root), 'noop.js'))(join(root, 'dist/cjs/api/index.cjs')) as { register(): unknown };
      cjs.register();
      debug('loop thread registered tsx from %s', root);
    } catch (err) {
      debug('could not register tsx from %s: %s', root, String(err));
    }
  }
}
