/**
 * A lane joins one submitting thread to one loop: shared memory with the two
 * rings and the two one-record boxes (see protocol.ts), plus a side channel for
 * what they cannot carry. Both ends build their views with `laneViews`.
 */
import { BroadcastChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { LANE_HEADER_BYTES, RING_BYTES, laneByteLength } from './protocol.js';
import { broadcastReadsSync } from '../runtime.js';

export interface LaneViews {
  readonly words: Int32Array;
  /** The header as bytes: the request and answer boxes live in it. */
  readonly header: Uint8Array;
  readonly requests: Uint8Array;
  readonly results: Uint8Array;
}

export function createLaneMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(laneByteLength());
}

export function laneViews(memory: SharedArrayBuffer): LaneViews {
  return {
    words: new Int32Array(memory, 0, LANE_HEADER_BYTES >>> 2),
    header: new Uint8Array(memory, 0, LANE_HEADER_BYTES),
    requests: new Uint8Array(memory, LANE_HEADER_BYTES, RING_BYTES),
    results: new Uint8Array(memory, LANE_HEADER_BYTES + RING_BYTES, RING_BYTES),
  };
}

type Transferable = ArrayBuffer | MessagePort;

/** Whether postMessage can clone `value` (it takes SharedArrayBuffers, which v8.serialize refuses). */
export function structurallyCloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Messages in one direction are read synchronously with receiveMessageOnPort,
 * only when a ring record says one is waiting, so neither end listens for them.
 */
export interface SideChannel {
  /**
   * False when the other end is gone. `lead` (a one-item array holding a value)
   * goes just before `message`, with the transfer list (side-records.ts).
   */
  post(message: unknown, transfer?: readonly Transferable[], lead?: readonly [unknown]): boolean;
  receive(): unknown;
  readonly canTransfer: boolean;
  /** Whether receive() reads without the event loop turning, so a blocked thread gets its messages. */
  readonly readsWhileBlocked: boolean;
  /** Posts held because the other end does not listen yet: pump() sends them once it does. */
  readonly held: number;
  /** Whether held messages can be sent now (the other end listens). */
  canPump(): boolean;
  /**
   * Whether post() clones its message at once: a message held for later would
   * be cloned then, and show what the caller changed meanwhile.
   */
  clonesNow(): boolean;
  /** Sends what waited for the other end to listen. */
  pump(): void;
  close(): void;
}

export class PortSideChannel implements SideChannel {
  readonly canTransfer = true;
  readonly readsWhileBlocked = true;
  /** A port delivers to its other end whenever it listens: nothing is ever held. */
  readonly held = 0;
  constructor(readonly port: MessagePort) {
    port.unref();
  }
  canPump(): boolean {
    return false;
  }
  clonesNow(): boolean {
    return true;
  }
  pump(): void {}
  post(message: unknown, transfer?: readonly Transferable[], lead?: readonly [unknown]): boolean {
    // MessagePort#postMessage returns false once the other end has been closed or its thread died.
    const postMessage = this.port.postMessage as (m: unknown, t?: readonly Transferable[]) => boolean | undefined;
    if (lead !== undefined && postMessage.call(this.port, lead, transfer) === false) return false;
    return postMessage.call(this.port, message, lead === undefined ? transfer : undefined) !== false;
  }
  receive(): unknown {
    return receiveMessageOnPort(this.port)?.message;
  }
  close(): void {
    this.port.close();
  }
}

/**
 * For threads that hold no port to the loop: one BroadcastChannel per
 * direction. A BroadcastChannel delivers only to instances that exist when
 * it posts, so until `listening()` says the other end has opened its own,
 * messages wait here.
 */
export class BroadcastSideChannel implements SideChannel {
  readonly canTransfer = false;
  /** Feature-tested first: the probe's channel must exist before any channel here is closed (Deno). */
  readonly readsWhileBlocked = broadcastReadsSync();
  private readonly out: BroadcastChannel;
  private readonly in: BroadcastChannel;
  /** Posts held until the other end listens: each is its messages, in order. */
  private waiting: unknown[][] | undefined;
  /** Messages the event loop delivered before anyone asked for them. */
  private readonly delivered: unknown[] = [];
  constructor(
    outName: string,
    inName: string,
    private readonly listening: () => boolean = () => true,
  ) {
    this.out = new BroadcastChannel(outName);
    this.in = new BroadcastChannel(inName);
    this.out.unref();
    this.in.unref();
    // A BroadcastChannel hands its messages to the event loop as soon as it turns, and drops
    // them when nobody listens: keep them. A blocked thread reads them with receiveMessageOnPort.
    this.in.onmessage = (event) => this.delivered.push((event as { data: unknown }).data);
  }
  post(message: unknown, _transfer?: readonly Transferable[], lead?: readonly [unknown]): boolean {
    this.pump();
    const messages = lead === undefined ? [message] : [lead, message];
    if (this.waiting) this.waiting.push(messages);
    else if (this.listening()) for (const m of messages) this.out.postMessage(m);
    else this.waiting = [messages];
    return true;
  }
  get held(): number {
    return this.waiting?.length ?? 0;
  }
  canPump(): boolean {
    return this.waiting !== undefined && this.listening();
  }
  clonesNow(): boolean {
    return this.waiting === undefined && this.listening();
  }
  pump(): void {
    if (!this.waiting || !this.listening()) return;
    for (const messages of this.waiting) for (const message of messages) this.out.postMessage(message);
    this.waiting = undefined;
  }
  receive(): unknown {
    if (this.delivered.length > 0) return this.delivered.shift();
    // Bun and Deno cannot read a BroadcastChannel synchronously: their messages come as events.
    return this.readsWhileBlocked ? receiveMessageOnPort(this.in as unknown as MessagePort)?.message : undefined;
  }
  close(): void {
    this.out.close();
    this.in.close();
  }
}

/**
 * Whether the thread holding the other end of `port` is alive. It posts a
 * message, so use a port whose other end discards what it receives. Works
 * while this thread is blocked: the answer comes from the port's entanglement,
 * not from an event.
 */
export function peerAlive(port: MessagePort): boolean {
  return (port.postMessage as (m: unknown) => boolean | undefined)(0) !== false;
}
