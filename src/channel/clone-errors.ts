/**
 * Why a value cannot be cloned between threads, for TaskSerializationError's
 * message: the path of the first offending part (`[0].user.callback`) and its
 * class. Only on the failure path: nothing here runs for values that clone.
 */
import { MessagePort } from 'node:worker_threads';
import { TaskSerializationError } from '../errors.js';
import { PostMessageOnly } from './payload-route.js';
import { cloneBytes } from './v8-clone.js';

function postMessageClones(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * What to throw for `value`, which V8's serializer refused with `err`:
 * PostMessageOnly when postMessage clones it anyway (V8's serializer refuses
 * SharedArrayBuffers and some host objects that postMessage clones), else a
 * TaskSerializationError that calls it "`role` of `owner.label`" and names the
 * offending part.
 */
export function cloneFailure(value: unknown, err: unknown, role: string, owner: { readonly label: string }): Error {
  if (postMessageClones(value)) return new PostMessageOnly();
  const culprit: { value?: unknown } = {};
  // Too deep for the stack: looking for a culprit would overflow it again, level by level.
  const path = err instanceof RangeError ? '' : (findUncloneable(value, '', new Set(), culprit) ?? '');
  const reason = firstLine((err as Error).message);
  // Bun's and Deno's messages may not say what the part is ("needs transfer"): name its class.
  const kind = className(culprit.value);
  const at = (path ? ` at ${path}` : '') + (kind && !reason.includes(kind) ? ` (a ${kind})` : '');
  return new TaskSerializationError(`${role} of ${owner.label} cannot be cloned between threads${at}: ${reason}`, path, { cause: err });
}

/**
 * A TaskSerializationError of a drop-in's runner task (synckit's or make-synchronized's),
 * told as the user's own call: `label` names their worker file or module instead of the
 * runner's `task.label`, and a path into the runner's arguments drops the runner's own index
 * (`[2][1].user` -> `[1].user`, where the user's arguments are the runner's `argsAt`-th).
 * Anything else comes back as it was.
 */
export function asUsersCall(err: unknown, task: { readonly label: string }, label: string, argsAt?: number): unknown {
  const e = err as { code?: unknown; path?: unknown; message?: unknown; cause?: unknown } | null;
  if (e?.code !== 'ERR_SIDELOOP_SERIALIZATION' || typeof e.path !== 'string' || typeof e.message !== 'string') return err;
  const prefix = argsAt === undefined ? '' : `[${argsAt}]`;
  const path = prefix && e.path.startsWith(prefix) ? e.path.slice(prefix.length) : e.path;
  const message = e.message.replace(task.label, label).replace(` at ${e.path}`, path ? ` at ${path}` : '');
  return new TaskSerializationError(message, path, { cause: e.cause });
}

/** Finds the first part of `value` that structured clone rejects, as a path like `[1].user.callback`. */
export function findUncloneable(value: unknown, path = '', seen = new Set<unknown>(), culprit: { value?: unknown } = {}, depth = 0): string | undefined {
  if (typeof value === 'function' || typeof value === 'symbol') {
    culprit.value = value;
    return path || '(value)';
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  // A port is the culprit itself, not what hangs off it (Deno's have own function properties).
  if (value instanceof MessagePort) {
    culprit.value = value;
    return path || '(value)';
  }
  try {
    cloneBytes(value);
    return undefined;
  } catch {
    // Look inside for the culprit; if none of the parts fails, the object itself does.
  }
  // Each level serializes what is under it: past this depth, name the part reached (stays near linear).
  if (depth >= 32) return path || '(value)';
  const entries: Iterable<[unknown, unknown]> =
    value instanceof Map ? value.entries() : value instanceof Set ? [...value].entries() : Object.entries(value);
  for (const [key, item] of entries) {
    const step = Array.isArray(value) || value instanceof Set ? `[${keyText(key)}]` : `.${keyText(key)}`;
    const found = findUncloneable(item, path + step, seen, culprit, depth + 1);
    if (found !== undefined) return found;
  }
  culprit.value = value;
  return path || '(value)';
}

/** The class of an object that is not a plain one ('MessagePort'), for messages; '' otherwise. */
function className(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' && name !== 'Array' ? name : '';
}

/** A key for a path: a Map's key may be any value, even one that String() throws on (a null-prototype object). */
function keyText(key: unknown): string {
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  if (typeof key === 'object' && key !== null) return Array.isArray(key) ? '[array]' : '{object}';
  try {
    return String(key);
  } catch {
    return typeof key;
  }
}

/** V8's clone errors inspect the whole offending object; its first line names it well enough. */
function firstLine(message: string): string {
  const end = message.indexOf('\n');
  return end < 0 ? message : `${message.slice(0, end).replace(/\s*[{[]$/, '')} ...`;
}
