/**
 * The process-wide registry of loop managers: one SharedArrayBuffer shared by
 * the whole thread tree (through environment data), one slot per manager. A
 * slot is its manager's identity (owner thread, id, name) and its loop's
 * control block, so any thread can find a loop and drive it without a message
 * passing through the owner's event loop. Layout: protocol.ts.
 */
import { getEnvironmentData, setEnvironmentData, threadId } from 'node:worker_threads';
import { LoopControl } from './control.js';
import {
  CONTROL_BYTES,
  H_LOCK,
  IdKind,
  LoopState,
  M_GEN,
  M_ID_KIND,
  M_ID_LEN,
  M_ID_NUMBER,
  M_NAME_LEN,
  M_OWNER,
  M_PREV_END,
  M_REGISTERED,
  M_TYPE_LEN,
  M_USED,
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
  C_STATE,
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

const encoder = new TextEncoder();

export class Registry {
  readonly header: Int32Array;

  constructor(readonly memory: SharedArrayBuffer) {
    this.header = new Int32Array(memory, 0, REGISTRY_HEADER_BYTES >>> 2);
  }

  static forThisThread(): Registry {
    let memory = getEnvironmentData(REGISTRY_ENV_KEY) as SharedArrayBuffer | undefined;
    if (!(memory instanceof SharedArrayBuffer)) {
      memory = new SharedArrayBuffer(REGISTRY_HEADER_BYTES + REGISTRY_SLOTS * SLOT_BYTES);
      setEnvironmentData(REGISTRY_ENV_KEY, memory);
    }
    return new Registry(memory);
  }

  slotOffset(slot: number): number {
    return REGISTRY_HEADER_BYTES + slot * SLOT_BYTES;
  }

  /** Views made once per slot: the hot path reads a slot's generation on every submit. */
  private readonly metas: Int32Array[] = [];

  meta(slot: number): Int32Array {
    return (this.metas[slot] ??= new Int32Array(this.memory, this.slotOffset(slot) + SLOT_META, 16));
  }

  /** A short critical section shared by every thread; held for microseconds. */
  private locked<T>(fn: () => T): T {
    const h = this.header;
    while (Atomics.compareExchange(h, H_LOCK, 0, 1) !== 0) Atomics.wait(h, H_LOCK, 1, 1);
    try {
      return fn();
    } finally {
      Atomics.store(h, H_LOCK, 0);
      Atomics.notify(h, H_LOCK, 1);
    }
  }

  /** Takes a free slot for a new manager owned by this thread and registers it for its id. */
  create(id: LoopId, name: string): number {
    const idBytes = typeof id === 'string' ? encoder.encode(id) : undefined;
    const nameBytes = encoder.encode(name).subarray(0, SLOT_STRING_BYTES);
    if (idBytes && idBytes.byteLength > SLOT_STRING_BYTES) {
      throw new RangeError(`The "id" option must be at most ${SLOT_STRING_BYTES} bytes of UTF-8, got ${idBytes.byteLength}`);
    }
    return this.locked(() => {
      for (let slot = 0; slot < REGISTRY_SLOTS; slot++) {
        const meta = this.meta(slot);
        if (Atomics.load(meta, M_USED) !== 0) continue;
        const offset = this.slotOffset(slot);
        new Uint8Array(this.memory, offset, SLOT_BYTES).fill(0, SLOT_CONTROL, SLOT_META); // a clean control block
        new DataView(this.memory).setUint32(offset + SLOT_CRASH, 0, true);
        meta[M_OWNER] = threadId;
        meta[M_ID_KIND] = id === DEFAULT_LOOP_ID ? IdKind.Default : typeof id === 'string' ? IdKind.String : IdKind.Number;
        if (idBytes) new Uint8Array(this.memory, offset + SLOT_ID, idBytes.byteLength).set(idBytes);
        meta[M_ID_LEN] = idBytes?.byteLength ?? 0;
        if (typeof id === 'number') new Float64Array(this.memory, offset + SLOT_META, 16)[M_ID_NUMBER >>> 1] = id;
        new Uint8Array(this.memory, offset + SLOT_NAME, nameBytes.byteLength).set(nameBytes);
        meta[M_NAME_LEN] = nameBytes.byteLength;
        meta[M_TYPE_LEN] = -1;
        meta[M_PREV_END] = LoopState.Stopped;
        // Generations keep rising across reuse of the slot: a stale handle never mistakes a new run for its own.
        Atomics.add(meta, M_GEN, 1);
        this.registerLocked(slot, id);
        Atomics.store(meta, M_USED, 1);
        return slot;
      }
      throw new RangeError(`sideloop's registry is full: at most ${REGISTRY_SLOTS} loop managers can exist at once in a process`);
    });
  }

  private registerLocked(slot: number, id: LoopId): void {
    const previous = this.findLocked(threadId, id);
    if (previous >= 0) Atomics.store(this.meta(previous), M_REGISTERED, 0);
    Atomics.store(this.meta(slot), M_REGISTERED, 1);
  }

  /** Removes a manager for good: its slot is free for another. */
  release(slot: number): void {
    this.locked(() => {
      const meta = this.meta(slot);
      Atomics.store(meta, M_REGISTERED, 0);
      Atomics.store(meta, M_USED, 0);
    });
  }

  /** The registered manager of `owner` for `id`, or -1. */
  find(owner: number, id: LoopId): number {
    return this.findLocked(owner, id);
  }

  // Reads need no lock: a slot is published (M_USED) after it is written.
  private findLocked(owner: number, id: LoopId): number {
    for (let slot = 0; slot < REGISTRY_SLOTS; slot++) {
      const meta = this.meta(slot);
      if (Atomics.load(meta, M_USED) === 0 || Atomics.load(meta, M_REGISTERED) === 0) continue;
      if (Atomics.load(meta, M_OWNER) !== owner) continue;
      if (this.idMatches(slot, id)) return slot;
    }
    return -1;
  }

  private idMatches(slot: number, id: LoopId): boolean {
    const meta = this.meta(slot);
    const kind = meta[M_ID_KIND];
    if (id === DEFAULT_LOOP_ID) return kind === IdKind.Default;
    if (typeof id === 'number') {
      return kind === IdKind.Number && new Float64Array(this.memory, this.slotOffset(slot) + SLOT_META, 16)[M_ID_NUMBER >>> 1] === id;
    }
    return kind === IdKind.String && this.readString(slot, SLOT_ID, meta[M_ID_LEN]!) === id;
  }

  private readString(slot: number, at: number, length: number): string {
    return Buffer.from(this.memory, this.slotOffset(slot) + at, length).toString('utf8');
  }

  id(slot: number): LoopId {
    const meta = this.meta(slot);
    const kind = meta[M_ID_KIND];
    if (kind === IdKind.Default) return DEFAULT_LOOP_ID;
    if (kind === IdKind.Number) return new Float64Array(this.memory, this.slotOffset(slot) + SLOT_META, 16)[M_ID_NUMBER >>> 1]!;
    return this.readString(slot, SLOT_ID, meta[M_ID_LEN]!);
  }

  name(slot: number): string {
    return this.readString(slot, SLOT_NAME, this.meta(slot)[M_NAME_LEN]!);
  }

  owner(slot: number): number {
    return Atomics.load(this.meta(slot), M_OWNER);
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

  /** Starts a new run in the slot: a fresh control block, state Starting. Returns its generation. */
  beginRun(slot: number, taskType: string | null): number {
    const typeBytes = taskType === null ? undefined : encoder.encode(taskType);
    if (typeBytes && typeBytes.byteLength > SLOT_STRING_BYTES) {
      throw new RangeError(`The "taskType" option must be at most ${SLOT_STRING_BYTES} bytes of UTF-8`);
    }
    const meta = this.meta(slot);
    const offset = this.slotOffset(slot);
    const control = new Int32Array(this.memory, offset + SLOT_CONTROL, CONTROL_BYTES >>> 2);
    const previous = Atomics.load(control, C_STATE);
    if (previous !== 0) Atomics.store(meta, M_PREV_END, previous === LoopState.Crashed ? LoopState.Crashed : LoopState.Stopped);
    // Readers of the old run see the new generation first, and from then on read the old run as ended.
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

  /** Slots in use, optionally only those owned by `owner`. */
  usedSlots(owner?: number): number[] {
    const out: number[] = [];
    for (let slot = 0; slot < REGISTRY_SLOTS; slot++) {
      if (this.isUsed(slot) && (owner === undefined || this.owner(slot) === owner)) out.push(slot);
    }
    return out;
  }
}

let shared: Registry | undefined;

/** This thread's view of the process-wide registry. */
export function registry(): Registry {
  return (shared ??= Registry.forThisThread());
}
