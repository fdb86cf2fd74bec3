/**
 * sideloop/make-synchronized: make-synchronized's API on sideloop's channel,
 * so its users switch by changing one import. Each module gets a loop of its
 * own (as make-synchronized gives it a Worker), inline functions share one;
 * a call blocks in `result()`, and what the module writes to stdout and stderr
 * (carried like every task's output)
 * is written in the caller, in order, before the call returns.
 */
import { type ModuleSpec, SERVING, type ValueInformation, valueInformation } from './compat/make-synchronized-runner.js';
import { type ModuleArgument, Synchronizer, toModuleSource } from './compat/synchronizer.js';

// The types follow make-synchronized's own declarations, `any` included, so its users' code compiles unchanged.
// biome-ignore lint/suspicious/noExplicitAny: make-synchronized's public type
type AnyFunction = (...argumentsList: any[]) => any;
// biome-ignore lint/suspicious/noExplicitAny: make-synchronized's public type
type AsynchronousFunction = (...argumentsList: any[]) => Promise<any>;
// biome-ignore lint/suspicious/noExplicitAny: make-synchronized's public type
type ObjectWithFunctions = Record<string, any>;
type NodeModule = ObjectWithFunctions;
type NodeModuleWithFunctionDefaultExport = NodeModule & { default: AnyFunction };
type PropertyPath = undefined | string | string[];

export type { ModuleArgument as Module };

export type SynchronizedFunction<F extends AnyFunction = AnyFunction> = (...argumentsList: Parameters<F>) => Awaited<ReturnType<F>>;
export type SynchronizedObject<O extends ObjectWithFunctions = ObjectWithFunctions> = {
  [Key in keyof O]: O[Key] extends AsynchronousFunction ? SynchronizedFunction<O[Key]> : Awaited<O[Key]>;
};
export type SynchronizedModule<M = NodeModule> = {
  [Key in keyof M]: M[Key] extends AsynchronousFunction ? SynchronizedFunction<M[Key]> : Awaited<M[Key]>;
};
export type SynchronizedDefaultExportProxy<M extends NodeModuleWithFunctionDefaultExport = NodeModuleWithFunctionDefaultExport> =
  SynchronizedFunction<M['default']> & SynchronizedModule<M>;

const FUNCTION: ValueInformation = { type: 'function' };

/** True in a loop thread serving make-synchronized: there a module's implementation is itself. */
const serving = (): boolean => (globalThis as { [SERVING]?: boolean })[SERVING] === true;

const moduleSpec = (module: unknown): ModuleSpec => ({ source: toModuleSource(module) });

/** An inline asynchronous function (or its source), made synchronous. It runs from its source: no outer variables. */
export function makeInlineFunctionSynchronized<F extends AnyFunction = AnyFunction>(implementation: F): SynchronizedFunction<F>;
export function makeInlineFunctionSynchronized<F extends AnyFunction = AnyFunction>(implementation: string): SynchronizedFunction<F>;
export function makeInlineFunctionSynchronized(implementation: AnyFunction | string): AnyFunction {
  if (typeof implementation !== 'function' && typeof implementation !== 'string') {
    throw new TypeError(`'implementation' should be a function or its source, got '${typeof implementation}'.`);
  }
  const code = typeof implementation === 'function' ? Function.prototype.toString.call(implementation) : implementation;
  const synchronizer = Synchronizer.create({ code });
  synchronizer.setKnownInformation(['default'], FUNCTION);
  return synchronizer.get('default') as AnyFunction;
}

/** A module's default export, synchronous when it is a function (its value otherwise). Throws at once if the module cannot load. */
export function makeDefaultExportSynchronized<M extends NodeModuleWithFunctionDefaultExport = NodeModuleWithFunctionDefaultExport>(
  module: ModuleArgument,
): SynchronizedFunction<M['default']> {
  const synchronizer = Synchronizer.create(moduleSpec(module));
  return synchronizer.checked(() => synchronizer.get('default')) as SynchronizedFunction<M['default']>;
}

/** A synchronous `import(module)`: a Module whose async functions are synchronous. Throws at once if the module cannot load. */
export function makeModuleSynchronized<M extends NodeModule = NodeModule>(module: ModuleArgument): SynchronizedModule<M> {
  const synchronizer = Synchronizer.create(moduleSpec(module));
  return synchronizer.checked(() => synchronizer.createModule()) as SynchronizedModule<M>;
}

/** For a module's own export: `export default makeSynchronizedFunction(import.meta, impl)`, or a named export with its specifier. */
export function makeSynchronizedFunction<F extends AsynchronousFunction = AsynchronousFunction>(
  module: ModuleArgument,
  implementation: F,
  specifier?: PropertyPath,
): SynchronizedFunction<F> {
  if (serving()) return implementation as unknown as SynchronizedFunction<F>;
  const synchronizer = Synchronizer.create(moduleSpec(module));
  const path = specifier === undefined ? ['default'] : typeof specifier === 'string' ? [specifier] : specifier;
  synchronizer.setKnownInformation(path, FUNCTION);
  return synchronizer.get(path) as SynchronizedFunction<F>;
}

/** For a module's own named exports: `export const { foo, bar } = makeSynchronizedFunctions(import.meta, { foo, bar })`. */
export function makeSynchronizedFunctions<O extends ObjectWithFunctions = ObjectWithFunctions>(
  module: ModuleArgument,
  implementation: O,
): SynchronizedObject<O> {
  if (serving()) return implementation as SynchronizedObject<O>;
  const synchronizer = Synchronizer.create(moduleSpec(module));
  synchronizer.setKnownInformation([], valueInformation(implementation));
  return new Proxy(implementation, {
    get: (target, property, receiver) =>
      typeof property === 'string' && typeof implementation[property] === 'function'
        ? synchronizer.get(property)
        : Reflect.get(target, property, receiver),
  }) as SynchronizedObject<O>;
}

/** An inline asynchronous function, made synchronous. */
export function makeSynchronized<F extends AnyFunction = AnyFunction>(implementation: F): SynchronizedFunction<F>;
/** A module's asynchronous functions, made synchronous: a function proxy when its default export is a function, else a Module. */
export function makeSynchronized<M = NodeModule>(
  module: ModuleArgument,
): M extends NodeModuleWithFunctionDefaultExport ? SynchronizedDefaultExportProxy<M> : SynchronizedModule<M>;
/** A module's own export(s): `export default makeSynchronized(import.meta, impl)`. */
export function makeSynchronized<I extends ObjectWithFunctions | AnyFunction>(
  module: ModuleArgument,
  implementation: I,
): I extends AnyFunction ? SynchronizedFunction<I> : I extends ObjectWithFunctions ? SynchronizedObject<I> : never;
export function makeSynchronized(module: unknown, implementation?: unknown): unknown {
  if (typeof module === 'function') return makeInlineFunctionSynchronized(module as AnyFunction);
  if (typeof implementation === 'function') return makeSynchronizedFunction(module as ModuleArgument, implementation as AsynchronousFunction);
  if (implementation) return makeSynchronizedFunctions(module as ModuleArgument, implementation as ObjectWithFunctions);
  const synchronizer = Synchronizer.create(moduleSpec(module));
  return synchronizer.checked(() =>
    synchronizer.getInformation(['default']).type === 'function' ? synchronizer.createDefaultExportFunctionProxy() : synchronizer.createModule(),
  );
}

export default makeSynchronized;
