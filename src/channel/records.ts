/**
 * Every record that travels on a lane, written and read here and nowhere
 * else: the submitter's requests (DefineFn, Submit, Cancel) and the loop's
 * results (Ok, Err, OkOnSide) and task output (Output). A record carries no length of its own (the
 * ring, the box or the side-channel message frames it) and is read field by
 * field as it was written: a kind byte, then the call id for every record
 * that has one, so the loop can order a boxed request by a peek.
 *
 * Writers fill a ByteWriter the caller has reset (one scratch per thread, so
 * the hot path allocates nothing); readers take a ByteReader placed at the
 * record's first byte and fill a caller's reusable head object.
 * @internal
 */
import type { ByteReader, ByteWriter } from './codec.js';
import type { ErrorData } from './error-codec.js';
import type { SideRecord } from './side-records.js';
import { TaskSerializationError } from '../errors.js';

// ---- requests (submitter -> loop) ----

export const enum Req {
  /** Declares a task function once per lane: fnId, kind, then module+export or source. */
  DefineFn = 1,
  /** callId, fnId, flags, [timeoutMs], [taskType], args. */
  Submit = 2,
  /** callId, reason. */
  Cancel = 3,
}

export const enum FnKind {
  Module = 1,
  Inline = 2,
}

export const SUBMIT_HAS_TIMEOUT = 1;
export const SUBMIT_HAS_TYPE = 2;
export const SUBMIT_ARGS_ON_SIDE = 4;

export const enum CancelReason {
  Cancelled = 1,
  TimedOut = 2,
}

// ---- results (loop -> submitter) ----

export const enum Res {
  /** callId, value. */
  Ok = 1,
  /** callId, ErrorData. */
  Err = 2,
  /** callId; the value is the side-channel message's `value`, structured-cloned. */
  OkOnSide = 3,
  /** 0 (no call), stream, then what a task wrote to it: see writeOutput. */
  Output = 4,
  /** As Err, for a task the loop cancelled or timed out (counted as cancelled, not failed). */
  ErrCancelled = 5,
  /** callId, last (u8), bytes: a piece of a record too big for the ring (see pieces.ts). */
  Piece = 6,
}

/** The streams a task writes to, as a Res.Output record names them. */
export const enum OutStream {
  Stdout = 1,
  Stderr = 2,
}

/** What names a task in serialization errors. */
type Owner = { readonly label: string };

// ---- writing requests ----

export function writeDefineFn(w: ByteWriter, fnId: number, kind: FnKind, target: string, exportName: string): void {
  w.u8(Req.DefineFn);
  w.u32(fnId);
  w.u8(kind);
  w.str(target);
  w.str(exportName);
}

/** A Submit record up to its arguments: they follow with writeSubmitArgs, unless `argsOnSide`. */
export function writeSubmitHead(
  w: ByteWriter,
  callId: number,
  fnId: number,
  taskType: string | null,
  timeoutMs: number | undefined,
  argsOnSide: boolean,
): void {
  w.u8(Req.Submit);
  w.u32(callId);
  w.u32(fnId);
  w.u8((timeoutMs !== undefined ? SUBMIT_HAS_TIMEOUT : 0) | (taskType !== null ? SUBMIT_HAS_TYPE : 0) | (argsOnSide ? SUBMIT_ARGS_ON_SIDE : 0));
  if (timeoutMs !== undefined) w.f64(timeoutMs);
  if (taskType !== null) w.str(taskType);
}

/**
 * Throws TaskSerializationError for what v8.serialize refuses. False (nothing
 * written) when `mayPost` and the arguments should go by postMessage instead.
 */
export function writeSubmitArgs(w: ByteWriter, args: readonly unknown[], task: Owner, mayPost = false): boolean {
  // The list comes from rest parameters (task.ts): no holes, no named properties.
  return w.value(args, 'The arguments', task, true, mayPost);
}

export function writeCancel(w: ByteWriter, callId: number, timedOut: boolean): void {
  w.u8(Req.Cancel);
  w.u32(callId);
  w.u8(timedOut ? CancelReason.TimedOut : CancelReason.Cancelled);
}

// ---- reading requests ----

/** The kind of the request at `r`; its fields follow. */
export function readRequestKind(r: ByteReader): Req {
  return r.u8() as Req;
}

/**
 * The call id of the request at `r` (a Submit or a Cancel), or -1 for one
 * that has none; leaves `r` where it was.
 */
export function peekCallId(r: ByteReader): number {
  const at = r.pos;
  const kind = r.u8();
  const callId = kind === Req.Submit || kind === Req.Cancel ? r.u32() : -1;
  r.pos = at;
  return callId;
}

export interface DefineFnRecord {
  readonly fnId: number;
  readonly kind: FnKind;
  readonly target: string;
  readonly name: string;
}

/** A DefineFn's fields, after its kind (rare: one per function per lane). */
export function readDefineFn(r: ByteReader): DefineFnRecord {
  const fnId = r.u32();
  const kind = r.u8() as FnKind;
  const target = r.str();
  const name = r.str();
  return { fnId, kind, target, name };
}

/** A Submit's fields before its arguments; one object reused for every record. */
export interface SubmitHead {
  callId: number;
  fnId: number;
  flags: number;
  timeoutMs: number | undefined;
  taskType: string | null;
}

export function newSubmitHead(): SubmitHead {
  return { callId: 0, fnId: 0, flags: 0, timeoutMs: undefined, taskType: null };
}

/** Reads a Submit's fields after its kind, up to its arguments, into `into`. */
export function readSubmitHead(r: ByteReader, into: SubmitHead): void {
  into.callId = r.u32();
  into.fnId = r.u32();
  const flags = (into.flags = r.u8());
  into.timeoutMs = flags & SUBMIT_HAS_TIMEOUT ? r.f64() : undefined;
  into.taskType = flags & SUBMIT_HAS_TYPE ? r.str() : null;
}

/** Why the arguments posted ahead of a Submit read by `r` could not be read (side-records.ts). */
const argsLost = new WeakMap<ByteReader, unknown>();

/** Says that the Submit `r` reads lost its arguments on the side channel, and why: readSubmitArgs throws. */
export function markArgsLost(r: ByteReader, why: unknown): void {
  argsLost.set(r, why);
}

/** The Submit's arguments: after its head in the record, or those that came on the side channel. */
export function readSubmitArgs(r: ByteReader, head: SubmitHead, sideArgs: unknown[] | undefined): unknown[] {
  if (!(head.flags & SUBMIT_ARGS_ON_SIDE)) return r.value() as unknown[];
  if (argsLost.has(r)) throw unreadable('The arguments', argsLost.get(r));
  return sideArgs!;
}

function unreadable(what: string, why: unknown): TaskSerializationError {
  return new TaskSerializationError(`${what} could not be read in the receiving thread: ${(why as Error)?.message ?? String(why)}`, '', { cause: why });
}

/** A Cancel's fields after its kind: the call id, and whether its deadline passed (else it was cancelled). */
export function readCancel(r: ByteReader): { readonly callId: number; readonly timedOut: boolean } {
  const callId = r.u32();
  return { callId, timedOut: r.u8() === CancelReason.TimedOut };
}

// ---- results ----

/**
 * Throws TaskSerializationError for what v8.serialize refuses (the record is
 * then incomplete). False (the record is incomplete) when `mayPost` and the
 * value should go by postMessage instead (writeOkOnSide).
 */
export function writeOk(w: ByteWriter, callId: number, value: unknown, task: Owner, mayPost = false): boolean {
  w.u8(Res.Ok);
  w.u32(callId);
  return w.value(value, 'The result', task, false, mayPost);
}

/** The record of a result whose value travels beside it on the side channel. */
export function writeOkOnSide(w: ByteWriter, callId: number): void {
  w.u8(Res.OkOnSide);
  w.u32(callId);
}

/** `cancelled`: the loop counted the task as cancelled (its own timeout, or a stop that cancels). */
export function writeErr(w: ByteWriter, callId: number, error: ErrorData, cancelled = false): void {
  w.u8(cancelled ? Res.ErrCancelled : Res.Err);
  w.u32(callId);
  w.value(error, 'The error', { label: 'a task' });
}

/** A result's kind and call id; one object reused for every record. */
export interface ResultHead {
  kind: Res;
  callId: number;
}

export function newResultHead(): ResultHead {
  return { kind: Res.Ok, callId: 0 };
}

export function readResultHead(r: ByteReader, into: ResultHead): void {
  into.kind = r.u8() as Res;
  into.callId = r.u32();
}

/** The value of an Ok or OkOnSide result (from `side`, the message that carried the record). */
export function readOkValue(r: ByteReader, head: ResultHead, side: SideRecord | undefined): unknown {
  if (head.kind !== Res.OkOnSide) return r.value();
  if (side?.lost !== undefined) throw unreadable('The result', side.lost);
  return side?.value;
}

/**
 * What a task wrote to stdout or stderr: a string stays a string (so a caller's
 * hooks on `write` see what the task wrote), anything else goes as bytes.
 */
export function writeOutput(w: ByteWriter, stream: OutStream, chunk: string | Uint8Array): void {
  w.u8(Res.Output);
  w.u32(0);
  w.u8(stream);
  if (typeof chunk === 'string') {
    w.u8(1);
    w.str(chunk);
  } else {
    w.u8(0);
    w.bytes(chunk);
  }
}

/** An Output record's fields after its head. */
export interface TaskOutput {
  readonly stream: OutStream;
  readonly chunk: string | Buffer;
}

export function readOutput(r: ByteReader): TaskOutput {
  const stream = r.u8() as OutStream;
  return { stream, chunk: r.u8() === 1 ? r.str() : r.bytes() };
}

export function readErr(r: ByteReader): ErrorData {
  return r.value() as ErrorData;
}
