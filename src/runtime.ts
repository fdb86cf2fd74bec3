/**
 * What the JavaScript runtime under us can do, found by feature tests rather
 * than by name (Node, Bun and Deno all implement node:worker_threads, each with
 * gaps). Each test runs once, on first need. The runtime's name is only used to
 * word errors.
 * @internal
 */
import { BroadcastChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { lazyBuiltin } from './builtin.js';
import { UnsupportedRuntimeError } from './errors.js';

/** node:v8, loaded at the first value that needs V8's clone format (builtin.ts). */
export const v8 = lazyBuiltin<typeof import('node:v8')>('node:v8');

const versions = process.versions as Record<string, string | undefined>;
const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno;

/**
 * Bun or Deno: a runtime that implements Node's APIs over an engine of its own. Used where no
 * feature test can tell, through the flags named for what follows from it (below, clock.ts).
 */
export const nodeCompatRuntime: boolean = versions.bun !== undefined || deno !== undefined;

/**
 * Bun: on one core, an awaiting thread's brief block for its result (wait-policy.ts,
 * AWAIT_MAY_BLOCK) gained nothing there (15.0 -> 15.3 us a call), where Deno's call took half
 * the time and Node's a sixth less: Bun's waitAsync wake-up already costs about what a block does.
 */
export const awaitBlockPays: boolean = versions.bun === undefined;

/**
 * Node: a Worker is one OS thread, made before its constructor returns (registry/threads.ts,
 * newOsThread). Bun and Deno may start threads of their own beside a worker's.
 */
export const workerIsOneOsThread: boolean = !nodeCompatRuntime;

/**
 * Whether the runtime loads TypeScript modules itself, in workers too (Bun, Deno): a TypeScript
 * runner's loader flags (tsx's --import) add nothing there, and Deno's Worker refuses --import.
 */
export const loadsTypeScript: boolean = nodeCompatRuntime;

/** 'Bun 1.4.5', 'Deno 2.9.6', 'Node v24.1.0': for messages. */
export const runtimeName: string =
  versions.bun !== undefined ? `Bun ${versions.bun}` : deno !== undefined ? `Deno ${deno.version?.deno ?? versions.deno ?? ''}`.trim() : `Node ${process.version}`;

/** UnsupportedRuntimeError: `feature` (worded as a subject) does not work on this runtime. */
export function unsupportedError(feature: string, why: string): UnsupportedRuntimeError {
  return new UnsupportedRuntimeError(`${feature} is not supported on ${runtimeName}: ${why}`, runtimeName, feature);
}

export function unsupported(feature: string, why: string): never {
  throw unsupportedError(feature, why);
}

/**
 * Whether `value` is a real Map or Set. `instanceof` is not enough: an object made from their
 * prototype passes it, and their methods then throw (structured clone copies it as a plain object).
 */
function isReal<C extends typeof Map | typeof Set>(Class: C, value: object): value is InstanceType<C> {
  try {
    Class.prototype.has.call(value, undefined);
    return true;
  } catch {
    return false;
  }
}

/** Whether `value` holds a SharedArrayBuffer anywhere (typed arrays over one included). */
export function holdsShared(value: unknown, seen = new Set<object>()): boolean {
  if (typeof value !== 'object' || value === null || seen.has(value)) return false;
  if (value instanceof SharedArrayBuffer) return true;
  if (ArrayBuffer.isView(value)) return value.buffer instanceof SharedArrayBuffer;
  if (value instanceof ArrayBuffer) return false;
  seen.add(value);
  const items: Iterable<unknown> = isReal(Map, value) ? [...value.keys(), ...value.values()] : isReal(Set, value) ? value : Object.values(value);
  for (const item of items) if (holdsShared(item, seen)) return true;
  return false;
}

/**
 * v8.serialize, refusing SharedArrayBuffers: the caller then sends the value by postMessage,
 * which shares them. v8.serialize copies them silently: Bun's a bare SharedArrayBuffer, and
 * Node's (and Deno's) a typed array over one, which it writes as bytes. A copy would lose every
 * write. The walk costs about what serializing does, and only values our own encoding leaves to
 * v8.serialize pay it.
 */
export function serialize(value: unknown): Buffer {
  if (holdsShared(value)) throw new TypeError('#<SharedArrayBuffer> could not be cloned: only postMessage shares it');
  return v8().serialize(value);
}

let syncBroadcast: boolean | undefined;
/** Kept open for good: on Deno, a thread that has closed all its BroadcastChannels never receives on later ones. */
let probeChannel: BroadcastChannel | undefined;

/**
 * Whether receiveMessageOnPort reads a BroadcastChannel. Node: yes. Deno throws a TypeError;
 * Bun returns undefined. Where it does not, a blocked thread cannot read its side channel, and
 * an event loop must turn for BroadcastChannel messages to arrive.
 */
export function broadcastReadsSync(): boolean {
  // Node reads them: no probe (its two channels and message cost ~0.4 ms of every loop thread's start).
  if (!nodeCompatRuntime) return true;
  if (syncBroadcast === undefined) {
    const name = `sideloop:probe:${process.pid}:${Math.random().toString(36).slice(2)}`;
    probeChannel = new BroadcastChannel(name);
    probeChannel.unref();
    const sender = new BroadcastChannel(name);
    sender.postMessage(1);
    sender.close();
    try {
      syncBroadcast = receiveMessageOnPort(probeChannel as unknown as MessagePort)?.message === 1;
    } catch {
      syncBroadcast = false;
    }
  }
  return syncBroadcast;
}

/**
 * Bun 1.4 accepts a Worker's resourceLimits and ignores them (a loop would have no memory limit).
 * Deno 2.9 applies the heap limits but ignores stackSizeMb: a worker given 1 MB (or 0.25) recursed
 * as deep as one given none.
 */
export function checkResourceLimits(limits: unknown): void {
  if (limits !== undefined && versions.bun !== undefined) {
    unsupported('The "resourceLimits" option', 'Bun accepts it for a Worker and ignores it, so the loop would have no memory limit');
  }
  if (deno !== undefined && (limits as { stackSizeMb?: unknown } | undefined)?.stackSizeMb !== undefined) {
    unsupported('The "resourceLimits.stackSizeMb" option', "Deno's Worker accepts it and ignores it, so the loop's stack would not be limited");
  }
}

/**
 * Whether a Worker's execArgv is only shown in the worker's process.execArgv, running no preload
 * and applying no flag. Bun 1.4 takes any flag that way. Deno 2.9 refuses some (--import, V8's
 * --expose-gc, unknown ones) and takes the rest that way: --require runs nothing, --conditions
 * resolves nothing, --max-old-space-size limits nothing.
 */
export const ignoresWorkerExecArgv: boolean = nodeCompatRuntime;

/**
 * Refuses execArgv flags where a Worker ignores them (ignoresWorkerExecArgv): the loop thread
 * would silently run without them. An empty list asks for nothing, and is what happens anyway.
 */
export function checkExecArgv(execArgv: readonly string[] | undefined): void {
  if (execArgv !== undefined && execArgv.length > 0 && ignoresWorkerExecArgv) {
    const who = versions.bun !== undefined ? 'Bun ignores' : 'Deno refuses or ignores';
    unsupported('The "execArgv" option', `${who} a Worker's execArgv, so ${execArgv.join(' ')} would not apply to the loop thread`);
  }
}

type Elu = { idle: number; active: number; utilization: number };

/**
 * A worker's eventLoopUtilization(), or UnsupportedRuntimeError where there is none: Deno's
 * Worker has no working one; Bun's returns zeros (with a warning) whatever the thread does.
 */
export function workerElu(worker: { performance?: { eventLoopUtilization?: () => Elu } }): Elu {
  const perf = worker.performance;
  // By name too: Deno's method is missing in some threads and, where present, measures nothing.
  if (versions.bun !== undefined || deno !== undefined || typeof perf?.eventLoopUtilization !== 'function') {
    unsupported("A loop's eventLoopUtilization()", 'the runtime does not measure a worker thread\'s event loop');
  }
  return perf.eventLoopUtilization();
}
