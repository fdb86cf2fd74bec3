import type { MessagePort } from 'node:worker_threads';
import type { ErrorData } from './error-codec.js';

/**
 * The shared memory between submitting threads and a loop thread: every
 * layout and word, in one place (the records that travel in it: records.ts).
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
 * pair of BroadcastChannels), counted in the lane's words. A lone small request
 * travels in a one-record box next to the ring's position word, and its answer
 * likewise (see BOX_BYTES). Requests keep their order: once a submitter has
 * sent one on the side channel it keeps doing so until the loop has taken them
 * all; the loop counts side records (and looks at the box) before it reads the
 * ring, so what was sent before them is handled first; and a boxed request goes
 * before any request with a later call id (see callIdAfter). Results need no
 * order (each names its call).
 */

// Words written by different threads sit 128 bytes apart (32 Int32s): two threads
// writing one cache line (or its prefetch pair) slow each other down on every call.

// ---- control block: Int32 word indices ----
// Read-mostly: written on state changes and when the loop parks.
export const C_STATE = 0; // LoopState
export const C_DOORBELL = 1; // bumped by submitters; the parked loop waits on it
export const C_LOOP_PARKED = 2; // LoopParked: whether the loop is (about to be) parked, and on which word
export const C_EXIT_CODE = 3;
export const C_STOP = 4; // StopMode requested by the owner
export const C_LOOP_THREAD_ID = 5;
export const C_CRASH_CLAIM = 6; // 0 until a crash is recorded: the first recorder (a CAS to 1) writes the exit code and cause
export const C_LANES = 7; // lanes announced on the loop's BroadcastChannel; the loop reads them when it changes
export const C_BLOCKED_ON = 8; // while the loop thread is blocked in result(): the loop it waits for (client/wait-graph.ts)
export const C_BLOCK_BELL = 9; // bumped by submitters while the loop blocks its thread with a waitAsync pending (LoopParked.Blocked)
/**
 * C_LOOP_PARKED: how a submitter wakes the loop. A loop that blocks its thread while its
 * park in Atomics.waitAsync is still pending (the last task ended while it was parked) blocks
 * on C_BLOCK_BELL: ringing C_DOORBELL then would wake both waiters, and the async one costs a
 * task in V8's queue, an eventfd write and a turn of the event loop for nothing.
 */
export const enum LoopParked {
  Running = 0,
  /** Parked (or about to park) on C_DOORBELL: in Atomics.waitAsync, or blocked before one. */
  Doorbell = 1,
  /** Blocked on C_BLOCK_BELL, a waitAsync on C_DOORBELL still pending. */
  Blocked = 2,
}
// Written by submitters.
export const C_SUBMITTED = 32;
export const C_SUBMITTER_SPINS = 33; // waits of submitting threads that spun (wait-policy.ts)
// Written by the loop.
export const C_STARTED = 64;
export const C_COMPLETED = 65;
export const C_FAILED = 66;
export const C_CANCELLED = 67;
export const C_LOOP_SPINS = 68; // idle periods in which the loop polled before parking
// Written by the loop on every pump, alone on its line: spinning callers watch it to tell a running loop from a stalled one.
export const C_PROGRESS = 80;
// Float64 slots (index into a Float64Array over the same memory).
export const CF_STARTED_AT = 48; // epoch ms, written once by the owner
export const CONTROL_BYTES = 512;

// ---- the process-wide registry ----
// One SharedArrayBuffer for the whole thread tree (found through worker_threads
// environment data, created when sideloop is first loaded): a header, one
// fixed-size slot per loop manager, then a table of the threads that loaded
// sideloop. A slot holds the manager's identity and its loop's control block, so
// any thread can find a loop, read its state and ring its doorbell without a
// message. No lock: a thread may die at any instruction (terminate()), so every
// change is a compare-and-swap or a word written by its only writer, and what a
// dead thread leaves half done is reclaimed by whoever notices its death.
export const REGISTRY_ENV_KEY = 'sideloop:registry:v3';
export const LINEAGE_ENV_KEY = 'sideloop:lineage:v1';
export const REGISTRY_SLOTS = 512;
export const REGISTRY_HEADER_BYTES = 256;
// Header words (Int32 index):
export const H_SEQ = 1; // bumped per created manager: a later entry for the same owner and id wins
export const H_CURSOR = 2; // where the next allocation starts looking: a freed slot is reused last
export const H_REG_EPOCH = 3; // bumped on every registration change: a reader whose scan overlapped one scans again
export const H_DEATHS = 4; // bumped whenever a thread is found dead: cheap "anything to reap?" checks
export const H_THREADS_FULL = 5; // 1 once a thread could not get a row in the thread table
export const H_ENDS = 6; // bumped and notified when a loop run ends in a way its loop thread may not announce (wake.ts)
export const H_WAITS_LOCK = 8; // held (by thread id + 1) while a loop thread checks for a blocking cycle and records its wait
export const SLOT_BYTES = 2304;
// Slot layout, in bytes from the slot's start:
export const SLOT_CONTROL = 0; // the control block, CONTROL_BYTES long
export const SLOT_META = 512; // Int32 words below
export const SLOT_ID = 640; // id string, UTF-8
export const SLOT_NAME = 768;
export const SLOT_TASK_TYPE = 896;
export const SLOT_STRING_BYTES = 128;
export const SLOT_CRASH = 1024; // u32 length + v8-serialized crash cause
export const SLOT_CRASH_BYTES = 1024;
export const SLOT_ENDS = 2048; // how the slot's last runs ended (end-log.ts)
export const SLOT_ENDS_BYTES = 256;
// Meta words (Int32 index from SLOT_META):
export const M_USED = 0; // 1 while the slot holds a published manager
export const M_OWNER = 1; // owner thread id
export const M_GEN = 2; // bumped on every create, start and release: a loop run is (slot, gen)
export const M_REGISTERED = 3; // 1 while this slot is its owner's registry entry for its id
export const M_ID_KIND = 4; // IdKind
export const M_ID_LEN = 5;
export const M_NAME_LEN = 6;
export const M_TYPE_LEN = 7; // -1: no task type
export const M_BORN = 8; // the generation at which the slot's manager was created: its identity
export const M_ID_NUMBER = 10; // numeric ids: a Float64 at Float64 index M_ID_NUMBER >>> 1 from SLOT_META, bytes 40..48
export const M_CLAIM = 12; // 0 free, else the claiming thread's id + 1 (one compare-and-swap claims and names the owner)
export const M_SEQ = 13; // H_SEQ when created
export const M_TRACKED = 14; // 1 when the owner has a row in the thread table, so its death can be noticed
// The thread table: one row per live thread that loaded sideloop.
export const THREAD_ROWS = 4096;
export const THREAD_ROW_WORDS = 4;
export const T_ID = 0; // thread id + 1; 0 for a free row
export const T_PARENT = 1; // the nearest ancestor that loaded sideloop, + 1; 0 for the main thread
export const T_OS_ID = 2; // the OS thread id where the platform tells it (Linux), else 0
export const T_EXITING = 3; // 1 once the thread ran its exit handler: it is going
export const THREADS_OFFSET = REGISTRY_HEADER_BYTES + REGISTRY_SLOTS * SLOT_BYTES;
// Then one wake word per thread-table row: the row's thread parks on it when blocked in
// result(), and whoever has news for it (its loop's results, a loop's end) bumps and notifies it.
export const WAKE_OFFSET = THREADS_OFFSET + THREAD_ROWS * THREAD_ROW_WORDS * 4;
export const REGISTRY_BYTES = WAKE_OFFSET + THREAD_ROWS * 4;

export const enum IdKind {
  Default = 0,
  String = 1,
  Number = 2,
}

export const enum LoopState {
  Idle = 0,
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
// Grouped by who writes a word and how often the other side reads it: a word
// polled by one side never shares a line with a word the same thread writes on
// every call, so a lone call moves as few cache lines as it can (each move
// costs ~0.15 us here, more than most of the JS on the path).
// Submitter, on every submit; polled by the loop. A lone request travels in this line too.
export const L_REQ_TAIL = 0; // request ring: producer position, bytes
export const L_REQ_SIDE = 1; // requests posted on the side channel
export const L_REQ_BOX = 2; // request box (box.ts): sequence number of the record at REQ_BOX_OFFSET
export const L_ANSWERS_READ = 3; // answers the submitter has taken from the answer box, sent with each boxed request
export const REQ_BOX_OFFSET = 16; // request box record, bytes 16..56
export const L_SUBMITS = 14; // submits made on this lane: a loop that drops the lane of a dead thread counts the ones it never took
// Submitter, on every drain; read by the loop only when its ring runs short.
export const L_RES_HEAD = 32; // result ring: consumer position
export const L_RES_SIDE_TAKEN = 33; // results the submitter has taken from the side channel (task output keeps its order by it)
// Submitter, only when it parks; read by the loop after every batch of results.
export const L_WAITING = 64; // WAIT_* flags, set by the submitter before it waits
export const L_OUT_WAITING = 65; // 1 while the submitter's event loop waits for task output (output-watcher.ts)
export const L_WAKE_ROW = 66; // the submitter's wake word (WAKE_OFFSET) + 1, where it parks when blocked; 0: it parks on L_RES_SEQ
// Loop, on every result; polled by the submitter.
export const L_RES_TAIL = 96; // result ring: producer position
export const L_RES_SIDE = 97; // results posted on the side channel
export const L_RES_SEQ = 98; // bumped after publishing results while the submitter waits; it waits on it
export const L_RES_BACKLOG = 99; // 1 while the loop holds results the full ring could not take
export const L_RES_BOX = 100; // answer box: sequence number of the record at RES_BOX_OFFSET
export const RES_BOX_OFFSET = 404; // answer box record, bytes 404..444
export const L_OUT_SEQ = 112; // bumped after publishing task output while L_OUT_WAITING is set
// Loop, on every drain; read by the submitter only when its ring runs short or it uses the side channel.
export const L_REQ_HEAD = 128; // request ring: consumer position
export const L_REQ_SIDE_TAKEN = 129; // side-channel requests taken
export const L_CONNECTED = 130; // 1 once the loop has taken the lane and listens on its side channel
export const L_REQ_BOX_TAKEN = 131; // boxed requests the loop has taken
export const LANE_HEADER_BYTES = 640;

/**
 * A record this small may travel in a box: both boxes stay inside their 64-byte
 * line. A box holds one record: the submitter boxes a request only when its last
 * boxed call has been answered (or the loop has taken it), and the loop boxes an
 * answer only to a boxed request, and only when the submitter said, with that
 * request, that it has read every earlier boxed answer.
 */
export const BOX_BYTES = 40;

export const WAIT_SYNC = 1;
export const WAIT_ASYNC = 2;

/** Ring capacity in bytes, per direction (a power of two). */
export const RING_BYTES = 1 << 16;
/** A record larger than this travels on the side channel instead. */
export const MAX_INLINE_RECORD = RING_BYTES >>> 2;

export function laneByteLength(ringBytes = RING_BYTES): number {
  return LANE_HEADER_BYTES + 2 * ringBytes;
}

// The records themselves (requests and results) are written and read in records.ts.

/** Data handed to a loop thread as workerData. */
export interface LoopBootData {
  /** The registry, and this loop's slot and run. */
  readonly registry: SharedArrayBuffer;
  readonly slot: number;
  readonly gen: number;
  readonly loopKey: string;
  readonly name: string;
  readonly taskType: string | null;
  /** The owner's lane, connected before the thread starts; others announce theirs (LaneAnnouncement). */
  readonly ownerLane: LaneBootData;
  /** V8's code cache of the loop thread's CommonJS build, from an earlier loop thread (loop/cached-entry.ts). */
  readonly codeCache?: Uint8Array;
  /** Set for the one loop thread that is to make that cache and post it (CodeCacheMessage). */
  readonly makeCodeCache?: boolean;
}

/** What the boot guard (loop/boot-guard.ts) posts on the life port when a loop thread dies before it boots. */
export const BOOT_FAILURE = 'sideloop:boot-failure';
export interface BootFailure {
  readonly kind: typeof BOOT_FAILURE;
  readonly exitCode: number;
  /** The first uncaught error; absent when the thread called process.exit() (a preload may). */
  readonly error?: ErrorData;
}
/** What the loop thread asked to make a code cache (or whose cache V8 rejected) posts on the life port, for later starts. */
export const CODE_CACHE = 'sideloop:code-cache';
export interface CodeCacheMessage {
  readonly kind: typeof CODE_CACHE;
  readonly bytes: Uint8Array;
}
/** Set on a loop thread's globalThis once the loop runtime watches the thread's deaths itself. */
export const LOOP_BOOTED = Symbol.for('sideloop.loopBooted.v1');

export interface LaneBootData {
  readonly memory: SharedArrayBuffer;
  readonly laneId: number;
  /** The submitting thread, for diagnostics. */
  readonly threadId?: number;
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

/**
 * What a submitter posts on `lanesChannelName(loopKey)` for a side record sent
 * before the loop listened on the lane's own channel (lane.ts, EarlyRoute).
 */
export interface EarlySideRecord {
  readonly kind: 'side';
  /** The lane's channel to the loop (LaneBootData.sideToLoop). */
  readonly to: string;
  readonly message: unknown;
}

export function lanesChannelName(loopKey: string): string {
  return `sideloop:lanes:${loopKey}`;
}

/**
 * Call ids are u32 on the wire and wrap after 2^32 calls on a lane (about an
 * hour of back-to-back calls), so ids are compared as serial numbers: `a` came
 * after `b` when it is less than 2^31 ahead. The calls in flight on a lane
 * never span that many ids.
 */
export function callIdAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** The id after `id`, wrapping at 2^32. */
export function nextCallId(id: number): number {
  return (id + 1) >>> 0;
}
