import type { MessagePort } from 'node:worker_threads';

/**
 * The wire format between submitting threads and a loop thread, in one place.
 *
 * Two kinds of shared memory carry everything on the hot path:
 *
 * - The loop's control block (one per loop run): its state, a doorbell that
 *   submitters ring, and the counters behind `stats()`.
 * - A lane (one per submitting thread per loop run): a request ring
 *   (submitter -> loop) and a result ring (loop -> submitter), both
 *   single-producer single-consumer, plus the words the two ends wait on.
 *
 * Records too big for a ring, records that meet a full ring, and arguments
 * with a `transfer` list travel on the lane's side channel (a MessagePort or a
 * pair of BroadcastChannels), counted in the lane's words. Requests keep their
 * order: once a submitter has sent one on the side channel it keeps doing so
 * until the loop has taken them all, and the loop reads its ring before the side.
 * Results need no order (each names its call).
 */

// Words written by different threads sit 128 bytes apart (32 Int32s): two threads
// writing one cache line (or its prefetch pair) slow each other down on every call.

// ---- control block: Int32 word indices ----
// Read-mostly: written on state changes and when the loop parks.
export const C_STATE = 0; // LoopState
export const C_DOORBELL = 1; // bumped by submitters; the parked loop waits on it
export const C_LOOP_PARKED = 2; // 1 while the loop is (about to be) parked
export const C_EXIT_CODE = 3;
export const C_STOP = 4; // StopMode requested by the owner
export const C_LOOP_THREAD_ID = 5;
export const C_STATE_SEQ = 6; // bumped on every state change
// Written by submitters.
export const C_SUBMITTED = 32;
// Written by the loop.
export const C_STARTED = 64;
export const C_COMPLETED = 65;
export const C_FAILED = 66;
export const C_CANCELLED = 67;
// Float64 slots (index into a Float64Array over the same memory).
export const CF_STARTED_AT = 48; // epoch ms, written once by the owner
export const CONTROL_BYTES = 512;

export const enum LoopState {
  Starting = 1,
  Running = 2,
  Stopping = 3,
  Stopped = 4,
  Crashed = 5,
}

export const enum StopMode {
  None = 0,
  Graceful = 1,
  CancelPending = 2,
}

// ---- lane: Int32 word indices ----
// Written by the submitter.
export const L_REQ_TAIL = 0; // request ring: producer position, bytes
export const L_RES_HEAD = 1; // result ring: consumer position
export const L_WAITING = 2; // WAIT_* flags, set by the submitter before it waits
export const L_REQ_SIDE = 3; // requests posted on the side channel
// Written by the loop.
export const L_REQ_HEAD = 32; // request ring: consumer position
export const L_RES_TAIL = 33; // result ring: producer position
export const L_RES_SEQ = 34; // bumped after publishing results; submitters wait on it
export const L_REQ_SIDE_TAKEN = 35; // side-channel requests taken
export const L_RES_SIDE = 36; // results posted on the side channel
export const L_RES_BACKLOG = 37; // 1 while the loop holds results the full ring could not take
export const LANE_HEADER_BYTES = 256;

export const WAIT_SYNC = 1;
export const WAIT_ASYNC = 2;

/** Ring capacity in bytes, per direction (a power of two). */
export const RING_BYTES = 1 << 16;
/** A record larger than this travels on the side channel instead. */
export const MAX_INLINE_RECORD = RING_BYTES >>> 2;

export function laneByteLength(ringBytes = RING_BYTES): number {
  return LANE_HEADER_BYTES + 2 * ringBytes;
}

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
  Ok = 1,
  Err = 2,
}

/** Data handed to a loop thread as workerData. */
export interface LoopBootData {
  readonly control: SharedArrayBuffer;
  readonly loopKey: string;
  readonly name: string;
  readonly taskType: string | null;
  /** The owner's lane, connected before the thread starts. */
  readonly ownerLane: LaneBootData;
}

export interface LaneBootData {
  readonly memory: SharedArrayBuffer;
  readonly laneId: number;
  /** Port for side-channel records and transfers; its close tells the loop the owner has gone. */
  readonly port?: MessagePort;
  /** BroadcastChannel names for lanes from threads that hold no port. */
  readonly sideToLoop?: string;
  readonly sideToSubmitter?: string;
}

/** What a thread posts on `lanesChannelName(loopKey)` to connect a lane. */
export interface LaneAnnouncement {
  readonly kind: 'lane';
  readonly lane: LaneBootData;
}

export function lanesChannelName(loopKey: string): string {
  return `sideloop:lanes:${loopKey}`;
}

/** A message on a side channel: one record, and for SUBMIT_ARGS_ON_SIDE, the arguments. */
export interface SideRecord {
  readonly record: Uint8Array;
  /** Arguments sent with a transfer list: structured-cloned, not encoded. */
  readonly args?: unknown[];
}
