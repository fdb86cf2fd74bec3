/**
 * The process-wide registry of loop managers: one SharedArrayBuffer shared by
 * the whole thread tree (through environment data), one slot per manager. A
 * slot is its manager's identity (owner thread, id, name) and its loop's
 * control block, so any thread can find a loop and drive it without a message
 * passing through the owner's event loop. Layout: protocol.ts.
 *
 * There is no lock: a thread can be terminated at any instruction, and a lock
 * it held would freeze every thread after it. A slot is claimed with one
 * compare-and-swap that also names its owner, written, then published; only
 * its owner writes it afterwards, and a slot whose owner died half way is
 * reclaimed by whoever notices the death (reaper.ts).
 */
import { getEnvironmentData, setEnvironmentData, threadId } from 'node:worker_threads';
import { LoopControl } from './control.js';
import { recordEnd, runEnd } from './end-log.js';
import { lineage } from './lineage.js';
import { osThreadId, ThreadTable } from './threads.js';
import { wakeWords } from '../channel/wake.js';
import {
  C_STATE,
  CONTROL_BYTES,
  H_CURSOR,
  H_REG_EPOCH,
  H_SEQ,
  IdKind,
  LoopState,
  M_BORN,
  M_CLAIM,
  M_GEN,
  M_ID_KIND,
  M_ID_LEN,
  M_ID_NUMBER,
  M_NAME_LEN,
  M_OWNER,
  M_REGISTERED,
  M_SEQ,
  M_TRACKED,
  M_TYPE_LEN,
  M_USED,
  REGISTRY_BYTES,
  REGISTRY_ENV_KEY,
  REGISTRY_HEADER_BYTES,
  REGISTRY_SLOTS,
  SLOT_BYTES,
  SLOT_CONTROL,
  SLOT_CRASH,
  SLOT_ID,
  SLOT_META,
  SLOT_NAME,
  SLOT_STRING_BYTES,
  SLOT_TASK_TYPE,
} from '../channel/protocol.js';

/** The id of the default loop: a registered symbol, so no string or number id can equal it. */
export const DEFAULT_LOOP_ID: unique symbol = Symbol.for('sideloop.defaultLoop');
export type LoopId = string | number | typeof DEFAULT_LOOP_ID;

/** What the registry knows of one manager. */
export interface ManagerInfo {
  readonly id: LoopId;
  readonly name: string;
  readonly ownerThreadId: number;
  readonly state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';
  readonly taskType: string | null;
  /** The loop thread's id while it runs. */
  readonly loopThreadId: number | null;
}

/** A published slot's identity, read consistently. */
export interface SlotIdentity {
  readonly born: number;
  readonly id: LoopId;
  readonly name: string;
  readonly owner: number;
}

const encoder = new TextEncoder();
/** A reader whose scans overlapped this many registration changes in a row takes what it saw (a bound, never reached in practice). */
const MAX_RESCANS = 10_000;

export class Registry {
  readonly header: Int32Array;
  /** Views made once per slot: the hot path reads a slot's generation on every submit. */
  private readonly metas: Int32Array[] = [];
  /** The whole registry as words: a scan of every slot reads it, and makes no view per slot (512 of them cost ~1 ms of a cold start). */
  private readonly words: Int32Array;

  /** The threads that loaded sideloop, so any thread can tell that another has died. */
  readonly threads: ThreadTable;

  constructor(readonly memory: SharedArrayBuffer) {
    this.header = new Int32Array(memory, 0, REGISTRY_HEADER_BYTES >>> 2);
    this.words = new Int32Array(memory);
    this.threads = new ThreadTable(memory, this.header);
  }

  /** The registry this thread inherited, or a new one that the workers it spawns from now on inherit. */
  static forThisThread(): Registry {
    let memory = getEnvironmentData(REGISTRY_ENV_KEY) as SharedArrayBuffer | undefined;
    if (!(memory instanceof SharedArrayBuffer) || memory.byteLength !== REGISTRY_BYTES) {
      memory = new SharedArrayBuffer(REGISTRY_BYTES);
      setEnvironmentData(REGISTRY_ENV_KEY, memory);
    }
    return new Registry(memory);
  }

  slotOffset(slot: number): number {
    return REGISTRY_HEADER_BYTES + slot * SLOT_BYTES;
  }

  meta(slot: number): Int32Array {
    return (this.metas[slot] ??= new Int32Array(this.memory, this.slotOffset(slot) + SLOT_META, 32));
  }

  /**
   * Takes a free slot for a new manager owned by this thread and registers it
   * for its id. The entry it replaces (forceCreate) is unregistered only once
   * the new one is published, so a reader always finds one of the two.
   * `tracked`: this thread has a row in the thread table (its death will be noticed).
   */
  create(id: LoopId, name: string, tracked: boolean): number {
    const idBytes = typeof id === 'string' ? encoder.encode(id) : undefined;
    const nameBytes = encoder.encode(name).subarray(0, SLOT_STRING_BYTES);
    if (idBytes && idBytes.byteLength > SLOT_STRING_BYTES) {
      throw new RangeError(`The "id" option must be at most ${SLOT_STRING_BYTES} bytes of UTF-8, got ${idBytes.byteLength}`);
    }
    const slot = this.claim();
    const meta = this.meta(slot);
    const offset = this.slotOffset(slot);
    new Uint8Array(this.memory, offset + SLOT_CONTROL, CONTROL_BYTES).fill(0); // a clean control block
    new DataView(this.memory).setUint32(offset + SLOT_CRASH, 0, true);
    Atomics.store(meta, M_OWNER, threadId);
    Atomics.store(meta, M_ID_KIND, id === DEFAULT_LOOP_ID ? IdKind.Default : typeof id === 'string' ? IdKind.String : IdKind.Number);
    if (idBytes) new Uint8Array(this.memory, offset + SLOT_ID, idBytes.byteLength).set(idBytes);
    Atomics.store(meta, M_ID_LEN, idBytes?.byteLength ?? 0);
    if (typeof id === 'number') this.idNumbers(slot)[M_ID_NUMBER >>> 1] = id;
    new Uint8Array(this.memory, offset + SLOT_NAME, nameBytes.byteLength).set(nameBytes);
    Atomics.store(meta, M_NAME_LEN, nameBytes.byteLength);
    Atomics.store(meta, M_TYPE_LEN, -1);
    Atomics.store(meta, M_TRACKED, tracked ? 1 : 0);
    // Generations keep rising across reuse of the slot: a stale handle never mistakes a new manager or run for its own.
    Atomics.store(meta, M_BORN, Atomics.add(meta, M_GEN, 1) + 1);
    Atomics.store(meta, M_SEQ, Atomics.add(this.header, H_SEQ, 1) + 1);
    Atomics.store(meta, M_REGISTERED, 1);
    Atomics.store(meta, M_USED, 1); // published
    Atomics.add(this.header, H_REG_EPOCH, 1);
    this.unregisterOthers(slot, id);
    return slot;
  }

  /** One compare-and-swap takes a free slot and names this thread its owner. Starts after the last one taken, so a freed slot is reused last. */
  private claim(): number {
    const start = Atomics.load(this.header, H_CURSOR);
    for (let i = 0; i < REGISTRY_SLOTS; i++) {
      const slot = (start + i) % REGISTRY_SLOTS;
      if (Atomics.compareExchange(this.meta(slot), M_CLAIM, 0, threadId + 1) === 0) {
        Atomics.store(this.header, H_CURSOR, (slot + 1) % REGISTRY_SLOTS);
        return slot;
      }
    }
    throw new RangeError(`sideloop's registry is full: at most ${REGISTRY_SLOTS} loop managers can exist at once in a process`);
  }

  /** This thread's other entries for `id` stop being its entry: `slot` replaces them. Only the owner registers, so no race with another writer. */
  private unregisterOthers(slot: number, id: LoopId): void {
    for (let other = 0; other < REGISTRY_SLOTS; other++) {
      if (other === slot || !this.matches(other, threadId, id)) continue;
      Atomics.store(this.meta(other), M_REGISTERED, 0);
      Atomics.add(this.header, H_REG_EPOCH, 1);
    }
  }

  /**
   * Removes a manager for good: its slot is free for another. `claimedBy` is
   * the thread the caller believes holds the slot: this thread, or a dead one
   * being reaped (a dead owner, or a dead thread that was releasing it).
   * Nothing happens when the slot has moved on. One compare-and-swap makes the
   * caller the slot's only releaser; a releaser that dies half way leaves its
   * mark, and the steps are safe to repeat by whoever reaps it.
   */
  release(slot: number, claimedBy = threadId): boolean {
    const meta = this.meta(slot);
    const mine = -(threadId + 1);
    const held = Atomics.load(meta, M_CLAIM);
    if (held !== claimedBy + 1 && held !== -(claimedBy + 1)) return false;
    if (held !== mine && Atomics.compareExchange(meta, M_CLAIM, held, mine) !== held) return false;
    Atomics.store(meta, M_REGISTERED, 0);
    Atomics.add(this.header, H_REG_EPOCH, 1);
    const gen = Atomics.load(meta, M_GEN);
    this.recordEndOf(slot, gen);
    // Whoever unpublishes moves the generation on: handles and waiters of the old run read it as ended.
    if (Atomics.compareExchange(meta, M_USED, 1, 0) === 1) Atomics.compareExchange(meta, M_GEN, gen, gen + 1);
    Atomics.store(meta, M_CLAIM, 0);
    return true;
  }

  /** Logs how run `gen` ended, before the slot's generation moves past it (end-log.ts). */
  private recordEndOf(slot: number, gen: number): void {
    const end = runEnd(new Int32Array(this.memory, this.slotOffset(slot) + SLOT_CONTROL, CONTROL_BYTES >>> 2));
    if (end) recordEnd(this.memory, this.slotOffset(slot), gen, end);
  }

  /**
   * The registered manager of `owner` for `id`, or -1. A scan that found nothing
   * while a registration changed is repeated: a replacement publishes the new
   * entry before it unregisters the old, so a quiet scan always sees one.
   */
  find(owner: number, id: LoopId): number {
    let found = -1;
    for (let attempt = 0; attempt < MAX_RESCANS; attempt++) {
      const epoch = Atomics.load(this.header, H_REG_EPOCH);
      found = -1;
      let seq = 0;
      for (let slot = 0; slot < REGISTRY_SLOTS; slot++) {
        if (!this.matches(slot, owner, id)) continue;
        // Two entries while one replaces the other: the later one is the entry.
        const s = Atomics.load(this.meta(slot), M_SEQ);
        if (found < 0 || s - seq > 0) {
          found = slot;
          seq = s;
        }
      }
      // What was found was registered while the scan ran: a right answer. Nothing found is
      // believed only from a scan no registration change overlapped.
      if (found >= 0 || Atomics.load(this.header, H_REG_EPOCH) === epoch) break;
    }
    return found;
  }

  private matches(slot: number, owner: number, id: LoopId): boolean {
    const w = this.words;
    const meta = (this.slotOffset(slot) + SLOT_META) >>> 2;
    if (Atomics.load(w, meta + M_USED) === 0 || Atomics.load(w, meta + M_REGISTERED) === 0) return false;
    return Atomics.load(w, meta + M_OWNER) === owner && this.idMatches(slot, id);
  }

  private idNumbers(slot: number): Float64Array {
    return new Float64Array(this.memory, this.slotOffset(slot) + SLOT_META, 16);
  }

  private idMatches(slot: number, id: LoopId): boolean {
    const meta = this.meta(slot);
    const kind = Atomics.load(meta, M_ID_KIND);
    if (id === DEFAULT_LOOP_ID) return kind === IdKind.Default;
    if (typeof id === 'number') return kind === IdKind.Number && this.idNumbers(slot)[M_ID_NUMBER >>> 1] === id;
    return kind === IdKind.String && this.readString(slot, SLOT_ID, Atomics.load(meta, M_ID_LEN)) === id;
  }

  private readString(slot: number, at: number, length: number): string {
    return Buffer.from(this.memory, this.slotOffset(slot) + at, Math.max(0, Math.min(length, SLOT_STRING_BYTES))).toString('utf8');
  }

  /** Who the slot's manager is, or undefined when the slot is free or changed hands while being read. */
  identity(slot: number): SlotIdentity | undefined {
    const meta = this.meta(slot);
    const born = Atomics.load(meta, M_BORN);
    if (Atomics.load(meta, M_USED) === 0) return undefined;
    const kind = Atomics.load(meta, M_ID_KIND);
    const id: LoopId =
      kind === IdKind.Default ? DEFAULT_LOOP_ID : kind === IdKind.Number ? this.idNumbers(slot)[M_ID_NUMBER >>> 1]! : this.readString(slot, SLOT_ID, Atomics.load(meta, M_ID_LEN));
    const identity: SlotIdentity = { born, id, name: this.readString(slot, SLOT_NAME, Atomics.load(meta, M_NAME_LEN)), owner: Atomics.load(meta, M_OWNER) };
    if (Atomics.load(meta, M_BORN) !== born || Atomics.load(meta, M_USED) === 0) return undefined;
    return identity;
  }

  /** Whether the slot still holds the manager created at generation `born`. */
  holds(slot: number, born: number): boolean {
    const meta = this.meta(slot);
    return Atomics.load(meta, M_USED) !== 0 && Atomics.load(meta, M_BORN) === born;
  }

  born(slot: number): number {
    return Atomics.load(this.meta(slot), M_BORN);
  }

  owner(slot: number): number {
    return Atomics.load(this.meta(slot), M_OWNER);
  }

  /** The thread that claimed the slot (published or not) or is releasing it, or -1 when it is free. */
  claimant(slot: number): number {
    const claim = Atomics.load(this.meta(slot), M_CLAIM);
    return claim === 0 ? -1 : Math.abs(claim) - 1;
  }

  /** Whether the slot's owner has a row in the thread table. */
  tracked(slot: number): boolean {
    return Atomics.load(this.meta(slot), M_TRACKED) !== 0;
  }

  gen(slot: number): number {
    return Atomics.load(this.meta(slot), M_GEN);
  }

  isUsed(slot: number): boolean {
    return Atomics.load(this.meta(slot), M_USED) !== 0;
  }

  isRegistered(slot: number): boolean {
    return Atomics.load(this.meta(slot), M_REGISTERED) !== 0;
  }

  taskType(slot: number): string | null {
    const len = Atomics.load(this.meta(slot), M_TYPE_LEN);
    return len < 0 ? null : this.readString(slot, SLOT_TASK_TYPE, len);
  }

  /** Starts a new run in the slot (owner only): a fresh control block, state Starting. Returns its generation. */
  beginRun(slot: number, taskType: string | null): number {
    const typeBytes = taskType === null ? undefined : encoder.encode(taskType);
    if (typeBytes && typeBytes.byteLength > SLOT_STRING_BYTES) {
      throw new RangeError(`The "taskType" option must be at most ${SLOT_STRING_BYTES} bytes of UTF-8`);
    }
    const meta = this.meta(slot);
    const offset = this.slotOffset(slot);
    const control = new Int32Array(this.memory, offset + SLOT_CONTROL, CONTROL_BYTES >>> 2);
    this.recordEndOf(slot, Atomics.load(meta, M_GEN));
    // Readers of the old run see the new generation first, and from then on read the old run from the end log.
    const gen = Atomics.add(meta, M_GEN, 1) + 1;
    new Uint8Array(this.memory, offset + SLOT_CONTROL, CONTROL_BYTES).fill(0);
    new DataView(this.memory).setUint32(offset + SLOT_CRASH, 0, true);
    if (typeBytes) new Uint8Array(this.memory, offset + SLOT_TASK_TYPE, typeBytes.byteLength).set(typeBytes);
    Atomics.store(meta, M_TYPE_LEN, typeBytes?.byteLength ?? -1);
    Atomics.store(control, C_STATE, LoopState.Starting);
    return gen;
  }

  control(slot: number, gen: number): LoopControl {
    return new LoopControl(this.memory, this.slotOffset(slot), gen);
  }

  /** Published slots. */
  usedSlots(): number[] {
    const out: number[] = [];
    for (let slot = 0; slot < REGISTRY_SLOTS; slot++) if (this.isUsed(slot)) out.push(slot);
    return out;
  }

  /** Slots claimed by `owner`, published or not, or left half released by it. */
  slotsClaimedBy(owner: number): number[] {
    const out: number[] = [];
    for (let slot = 0; slot < REGISTRY_SLOTS; slot++) if (this.claimant(slot) === owner) out.push(slot);
    return out;
  }
}

// Made when sideloop is first loaded, not when the first manager is: a worker spawned in between
// must inherit it, or it would make a registry of its own and never see this thread's loops.
const shared = Registry.forThisThread();
// This thread's row, before it can claim a slot or spawn a worker: its death must be noticeable.
const tracked = shared.threads.register(threadId, lineage()[1], osThreadId());

/** Whether this thread has a row in the thread table (almost always: the table has room for 4096 live threads). */
export function threadTracked(): boolean {
  return tracked;
}

/** Where this thread parks when blocked in result(): its wake word (channel/wake.ts). */
export interface ThreadWake {
  readonly words: Int32Array;
  readonly row: number;
}
let wake: ThreadWake | null | undefined;

/** This thread's wake word; null for a thread without a row, which parks on its lanes' words instead. */
export function threadWake(): ThreadWake | null {
  if (wake !== undefined) return wake;
  const row = tracked ? shared.threads.rowOf(threadId) : -1;
  const words = wakeWords(shared.memory);
  return (wake = row >= 0 && words ? { words, row } : null);
}

/** This thread's view of the process-wide registry. */
export function registry(): Registry {
  return shared;
}
