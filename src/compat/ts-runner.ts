/**
 * synckit's worker-file rules: which file a path means (`worker` may be
 * `worker.ts` or `worker.js`, `worker.js` may be `worker.ts`), and which Node
 * flags a TypeScript worker needs for its `tsRunner`. Same names, defaults and
 * error messages as synckit, so its users' options keep their meaning.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadsTypeScript } from '../runtime.js';

export const TsRunner = {
  Node: 'node',
  Bun: 'bun',
  TsNode: 'ts-node',
  EsbuildRegister: 'esbuild-register',
  EsbuildRunner: 'esbuild-runner',
  OXC: 'oxc',
  SWC: 'swc',
  TSX: 'tsx',
} as const;

export type TsRunner = (typeof TsRunner)[keyof typeof TsRunner];

export const NODE_VERSION = process.versions.node;

/** Compares two dotted versions: 1, 0 or -1. */
export function compareVersion(a: string, b: string): number {
  const x = a.split('.').map(Number.parseFloat);
  const y = b.split('.').map(Number.parseFloat);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] || 0) - (y[i] || 0);
    if (d !== 0) return d > 0 ? 1 : -1;
  }
  return 0;
}

export const compareNodeVersion = (version: string): number => compareVersion(NODE_VERSION, version);

export const STRIP_TYPES_NODE_VERSION = '22.6';
export const TRANSFORM_TYPES_NODE_VERSION = '22.7';
export const DEFAULT_TYPES_NODE_VERSION = '23.6';
export const STRIP_TYPES_FLAG = '--experimental-strip-types';
export const TRANSFORM_TYPES_FLAG = '--experimental-transform-types';
export const NO_STRIP_TYPES_FLAG = '--no-experimental-strip-types';
/** `module.register`, which .mts workers need, exists from Node 20.8. */
export const MTS_SUPPORTED = compareNodeVersion('20.8') >= 0;
/** tsx could not load .mts workers on Node 16 to 18.18. */
export const TS_ESM_PARTIAL_SUPPORTED = compareNodeVersion('16') >= 0 && compareNodeVersion('18.19') < 0;

export function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}

/** The first of `base + ext` that exists. */
function tryExtensions(base: string, extensions: readonly string[]): string | undefined {
  for (const ext of extensions) if (isFile(base + ext)) return base + ext;
  return undefined;
}

/** The `type` of the nearest package.json above a file. */
function packageType(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type;
      } catch {
        return undefined;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function resolvable(name: string, from: string): boolean {
  try {
    createRequire(from).resolve(name);
    return true;
  } catch {
    return false;
  }
}

const hasFlag = (argv: readonly string[], flags: readonly string[]) => argv.some((a) => flags.some((f) => a === f || a.startsWith(`${f}=`)));
const REQUIRE = ['-r', '--require'];
const LOADER = ['--loader', '--experimental-loader'];
const IMPORT = ['--import'];

/** Whether this process already runs tsx, whose loaders sideloop's loop threads take over. */
function parentRunsTsx(): boolean {
  const argv = [...process.execArgv, ...(process.env.NODE_OPTIONS?.split(/\s+/) ?? [])];
  return argv.some((a) => /(^|[/\\=])tsx([/\\]|$)/.test(a));
}

export interface WorkerSetup {
  /** The file the worker runs. */
  readonly workerPath: string;
  /** Flags to put before the caller's, or undefined when none are needed. */
  readonly addedFlags: readonly string[];
}

/** Which file `workerPath` means and what flags it needs, as synckit decides. */
export function setupTsRunner(workerPath: string, execArgv: readonly string[], requested: TsRunner | undefined): WorkerSetup {
  let ext = extname(workerPath);
  if (!/[/\\]node_modules[/\\]/.test(workerPath) && (!ext || /^\.[cm]?js$/.test(ext))) {
    const base = ext ? workerPath.slice(0, -ext.length) : workerPath;
    const extensions = ext === '.cjs' ? ['.cts', '.cjs'] : ext === '.mjs' ? ['.mts', '.mjs'] : ['.ts', '.js'];
    const found = tryExtensions(base, extensions);
    if (found && (!ext || found !== workerPath)) {
      workerPath = found;
      ext = extname(found);
    }
  }
  if (!/\.[cm]?ts$/.test(workerPath)) return { workerPath, addedFlags: [] };
  const useEsm = ext === '.mts' || (ext !== '.cts' && packageType(workerPath) === 'module');
  const noStripTypes = execArgv.indexOf(NO_STRIP_TYPES_FLAG) > Math.max(execArgv.indexOf(STRIP_TYPES_FLAG), execArgv.indexOf(TRANSFORM_TYPES_FLAG)) ||
    (!execArgv.includes(STRIP_TYPES_FLAG) && process.execArgv.includes(NO_STRIP_TYPES_FLAG));
  let runner = requested;
  if (runner === undefined) {
    if (process.versions.bun) runner = TsRunner.Bun;
    else if (!noStripTypes && compareNodeVersion(STRIP_TYPES_NODE_VERSION) >= 0) runner = TsRunner.Node;
    else if (parentRunsTsx() || resolvable('tsx', workerPath)) runner = TsRunner.TSX;
    else if (resolvable('ts-node', workerPath)) runner = TsRunner.TsNode;
    else throw new Error('No ts runner specified, ts worker path is not supported');
  }
  const addedFlags = runnerFlags(runner, workerPath, execArgv, useEsm, noStripTypes);
  // Bun and Deno load TypeScript themselves: a runner's loader flags add nothing (Bun's Workers ignore
  // flags, and sideloop refuses them there; Deno's refuse --import).
  return { workerPath, addedFlags: loadsTypeScript ? [] : addedFlags };
}

/** tsx's loader as seen from the worker file, so a worker finds the tsx installed beside it whatever the cwd. */
function tsxLoader(workerPath: string): string {
  for (const from of [workerPath, join(process.cwd(), 'noop.js')]) {
    try {
      return pathToFileURL(createRequire(from).resolve('tsx')).href;
    } catch {}
  }
  throw new Error(`tsx is not installed where ${workerPath} or the current directory can find it: install it to run TypeScript workers with tsRunner "tsx"`);
}

function runnerFlags(runner: TsRunner, workerPath: string, execArgv: readonly string[], useEsm: boolean, noStripTypes: boolean): string[] {
  switch (runner) {
    case TsRunner.Bun:
      return [];
    case TsRunner.Node:
      if (compareNodeVersion(STRIP_TYPES_NODE_VERSION) < 0) throw new Error('type stripping is not supported in this node version');
      if (noStripTypes) throw new Error('type stripping is disabled explicitly');
      if (compareNodeVersion(DEFAULT_TYPES_NODE_VERSION) >= 0) return [];
      if (compareNodeVersion(TRANSFORM_TYPES_NODE_VERSION) >= 0) return execArgv.includes(TRANSFORM_TYPES_FLAG) ? [] : [TRANSFORM_TYPES_FLAG];
      return execArgv.includes(STRIP_TYPES_FLAG) ? [] : [STRIP_TYPES_FLAG];
    case TsRunner.TSX:
      // The parent's own tsx carries over to loop threads; otherwise register it in the loop.
      return parentRunsTsx() || hasFlag(execArgv, IMPORT) ? [] : ['--import', tsxLoader(workerPath)];
    case TsRunner.TsNode:
      if (useEsm) return hasFlag(execArgv, LOADER) ? [] : ['--loader', 'ts-node/esm'];
      return hasFlag(execArgv, REQUIRE) ? [] : ['-r', 'ts-node/register'];
    case TsRunner.EsbuildRegister:
      if (useEsm) return hasFlag(execArgv, LOADER) ? [] : ['--loader', 'esbuild-register/loader'];
      return hasFlag(execArgv, REQUIRE) ? [] : ['-r', 'esbuild-register'];
    case TsRunner.EsbuildRunner:
      return hasFlag(execArgv, REQUIRE) ? [] : ['-r', 'esbuild-runner/register'];
    case TsRunner.OXC:
      return hasFlag(execArgv, IMPORT) ? [] : ['--import', '@oxc-node/core/register'];
    case TsRunner.SWC:
      if (useEsm) return hasFlag(execArgv, IMPORT) ? [] : ['--import', '@swc-node/register/esm-register'];
      return hasFlag(execArgv, REQUIRE) ? [] : ['-r', '@swc-node/register'];
    default:
      throw new Error(`Unknown ts runner: ${String(runner)}`);
  }
}
