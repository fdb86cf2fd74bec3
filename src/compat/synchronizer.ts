/**
 * Caller side of sideloop/make-synchronized, after make-synchronized's own
 * Synchronizer: one per module, with a loop of its own; stands in for the
 * module's values by property path (functions become blocking calls, plain
 * objects proxies, primitives themselves) and caches what it learns.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import type { SyncFuture } from '../future.js';
import { task } from '../task.js';
import { asUsersCall } from '../channel/clone-errors.js';
import { DedicatedLoop } from './dedicated-loop.js';
import type { Action, ModuleSpec, PropertyPath, ValueInformation } from './make-synchronized-runner.js';

const RUNNER_URL = new URL('./compat-runner.js', import.meta.url);

/** make-synchronized's module argument: a URL, `import.meta`, a path, a specifier, or anything with href/url/filename. */
export type ModuleArgument = string | URL | { href: string } | { url: string } | { filename: string } | ImportMeta;

/** The module a `makeSynchronized` argument names, checked at once. */
export function toModuleSource(module: unknown): string {
  const m = module as { href?: unknown; url?: unknown; filename?: unknown } | undefined;
  if (typeof m?.href === 'string') return m.href;
  if (typeof m?.url === 'string') return m.url;
  if (typeof m?.filename === 'string') return pathToFileURL(m.filename).href;
  if (typeof module !== 'string' || module.startsWith('.')) {
    throw new TypeError(`'module' should be an 'URL', 'import.meta' or an absolute path, got '${inspect(module)}'.`);
  }
  return isAbsolute(module) ? pathToFileURL(module).href : module;
}

const hashPath = (path: PropertyPath): string => JSON.stringify(path);
const toPath = (pathOrProperty: PropertyPath | string | undefined): PropertyPath =>
  pathOrProperty === undefined ? [] : typeof pathOrProperty === 'string' ? [pathOrProperty] : pathOrProperty;

function cached<V>(cache: Map<string, V>, key: string, make: () => V): V {
  if (cache.has(key)) return cache.get(key) as V;
  const value = make();
  cache.set(key, value);
  return value;
}

type SyncFn = (...args: unknown[]) => unknown;

/** The loop this thread's inline functions share (a module gets one of its own), made at first use. */
let inlineLoop: DedicatedLoop | undefined;

export class Synchronizer {
  private static readonly instances = new Map<string, Synchronizer>();

  /** The synchronizer of a module (one per module and thread); a module that fails to load is not kept. */
  static create(spec: ModuleSpec): Synchronizer {
    return cached(Synchronizer.instances, JSON.stringify(spec), () => new Synchronizer(spec));
  }

  private readonly loop: DedicatedLoop;
  private readonly information = new Map<string, ValueInformation>();
  private readonly functions = new Map<string, SyncFn>();
  private readonly objects = new Map<string, object>();
  private readonly keys = new Map<string, string[]>();

  private constructor(private readonly spec: ModuleSpec) {
    this.loop = 'code' in spec ? (inlineLoop ??= new DedicatedLoop('make-synchronized', 'inline functions')) : new DedicatedLoop('make-synchronized', spec.source);
  }

  /** Runs `make` (which asks the module something); if the module cannot load, forgets this synchronizer before throwing. */
  checked<T>(make: () => T): T {
    try {
      return make();
    } catch (err) {
      Synchronizer.instances.delete(JSON.stringify(this.spec));
      if (this.loop !== inlineLoop) this.loop.dispose(); // the other inline functions' loop stays
      throw err;
    }
  }

  private call(action: Action, path: PropertyPath, args: unknown[] = []): unknown {
    let future: SyncFuture<unknown>;
    const call = task(RUNNER_URL, 'makeSynchronizedCall', this.spec, action, path, args);
    // What cannot travel is named in the user's module and arguments (the runner's fourth), not the runner's.
    const label = 'code' in this.spec ? 'an inline function of make-synchronized' : `make-synchronized module ${this.spec.source}`;
    try {
      future = this.loop.submit(call);
    } catch (err) {
      if ((err as { code?: unknown })?.code !== 'ERR_SIDELOOP_SERIALIZATION') throw err;
      const cause = asUsersCall(err, call, label, 3);
      throw Object.assign(new DOMException(`Cannot serialize request data:\n${inspect(args)}`, 'DataCloneError'), { requestData: args, cause });
    }
    try {
      return future.result();
    } catch (err) {
      return translate(asUsersCall(err, call, label));
    }
  }

  getInformation(path: PropertyPath): ValueInformation {
    return cached(this.information, hashPath(path), () => this.call('info', path) as ValueInformation);
  }

  setKnownInformation(path: PropertyPath, information: ValueInformation): void {
    this.information.set(hashPath(path), information);
  }

  get(pathOrProperty: PropertyPath | string): unknown {
    const path = toPath(pathOrProperty);
    const information = this.getInformation(path);
    switch (information.type) {
      case 'function':
        return cached(this.functions, hashPath(path), () => (...args: unknown[]) => this.call('apply', path, args));
      case 'primitive':
        return information.value;
      case 'plain-object':
        return this.plainObject(path, information);
      default:
        return this.call('get', path);
    }
  }

  ownKeys(path: PropertyPath = []): string[] {
    return cached(this.keys, hashPath(path), () => this.call('keys', path) as string[]);
  }

  /** A function standing in for a default export that is one, with the other exports as its properties. */
  createDefaultExportFunctionProxy(): SyncFn {
    return new Proxy(this.get('default') as SyncFn, {
      get: (target, property) => (typeof property === 'symbol' ? Reflect.get(target, property) : this.get(property)),
    });
  }

  /** A stand-in for a plain object: primitives copied, everything else fetched by path when read. */
  private plainObject(path: PropertyPath, { isNullPrototypeObject, properties }: ValueInformation): object {
    return cached(this.objects, hashPath(path), () => {
      const object: Record<string, unknown> = isNullPrototypeObject ? Object.create(null) : {};
      for (const [property, info] of properties ?? []) {
        if (info?.type === 'primitive') object[property] = info.value;
        else Object.defineProperty(object, property, { get: () => this.get([...path, property]), enumerable: true, configurable: true });
      }
      return new Proxy(object, {
        get: (target, property, receiver) =>
          typeof property === 'symbol' || properties?.has(property) ? Reflect.get(target, property, receiver) : this.get([...path, property]),
      });
    });
  }

  /** A module namespace stand-in: `[object Module]`, no prototype, a getter per export. */
  createModule(): object {
    const module = Object.create(null, { [Symbol.toStringTag]: { value: 'Module', enumerable: false } }) as object;
    const descriptors: PropertyDescriptorMap = {};
    for (const specifier of this.ownKeys()) descriptors[specifier] = { get: () => this.get(specifier), enumerable: true };
    return Object.defineProperties(module, descriptors);
  }
}

/**
 * What make-synchronized does where sideloop's channel reports: a value that
 * cannot come back throws its message; a worker that exited (process.exit in
 * the module) ends the call with undefined, and the next call starts the
 * module again.
 */
function translate(err: unknown): undefined {
  const e = err as { code?: unknown; exitCode?: unknown; cause?: unknown; message?: string };
  if (e?.code === 'ERR_SIDELOOP_SERIALIZATION') throw new Error(`Cannot serialize worker response:\n${e.message}`, { cause: err });
  if (e?.code === 'ERR_SIDELOOP_LOOP_CRASHED' && typeof e.exitCode === 'number' && exitedOnPurpose(e.cause)) return undefined;
  throw err;
}

/** The loop thread ended through process.exit (sideloop names it as the cause), not by a crash. */
function exitedOnPurpose(cause: unknown): boolean {
  return cause === undefined || (cause instanceof Error && /^process\.exit\(/.test(cause.message));
}
