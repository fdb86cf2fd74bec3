/**
 * A lane joins one submitting thread to one loop: shared memory with the two
 * rings and the two one-record boxes (see protocol.ts), plus a side channel for
 * what they cannot carry. Both ends build their views with `laneViews`.
 */
import { BroadcastChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { LANE_HEADER_BYTES, RING_BYTES, laneByteLength } from './protocol.js';
import { broadcastReadsSync } from '../runtime.js';
import type { LeadMessage } from './side-records.js';

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

export type Transferable = ArrayBuffer | MessagePort;

/**
 * Messages in one direction are read synchronously with receiveMessageOnPort,
 * only when a ring record says one is waiting, so neither end listens for them.
 */
export interface SideChannel {
  /**
   * False when the other end is gone. `lead` (the value ahead of the record,
   * side-records.ts) goes just before `message`, with the transfer list: one
   * record, two messages.
   */
  post(message: unknown, transfer?: readonly Transferable[], lead?: LeadMessage): boolean;
  receive(): unknown;
  readonly canTransfer: boolean;
  /** Whether receive() reads without the event loop turning, so a blocked thread gets its messages. */
  readonly readsWhileBlocked: boolean;
  /**
   * Takes a message addressed to channel `to` that came ahead of it, on the
   * loop's lanes channel (EarlyRoute); false when it is for another channel.
   */
  deliverEarly(to: string, message: unknown): boolean;
  close(): void;
}

export class PortSideChannel implements SideChannel {
  readonly canTransfer = true;
  readonly readsWhileBlocked = true;
  constructor(readonly port: MessagePort) {
    port.unref();
  }
  /** A port delivers to its other end from the start: nothing comes another way. */
  deliverEarly(): boolean {
    return false;
  }
  post(message: unknown, transfer?: readonly Transferable[], lead?: LeadMessage): boolean {
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
 * How a submitter reaches a loop that has not yet opened its end of a new
 * lane's channel. A BroadcastChannel delivers only to instances that exist
 * when it posts, and the loop opens its own only once it has read the lane's
 * announcement. Messages used to wait in the submitter until then, sent by its
 * event loop: a thread that submitted and then blocked on something else, or
 * exited, never sent them, and the task never ran. So they go at once on the
 * loop's lanes channel, which it always listens on, behind the announcement.
 */
export interface EarlyRoute {
  /**
   * Whether messages may go on the lane's own channel from now on: the loop
   * listens there and has taken all `sent` messages sent so far, so the next
   * one cannot overtake any (the two channels are read apart).
   */
  ready(sent: number): boolean;
  /** Sends a message on the loop's lanes channel. */
  post(message: unknown): void;
}

/**
 * For threads that hold no port to the loop: one BroadcastChannel per
 * direction. The submitter's end sends through `early` until the loop's end
 * listens; the loop's end takes those with deliverEarly, and `pull` reads the
 * lanes channel when it looks for one that has not come yet.
 */
export class BroadcastSideChannel implements SideChannel {
  readonly canTransfer = false;
  /** Feature-tested first: the probe's channel must exist before any channel here is closed (Deno). */
  readonly readsWhileBlocked = broadcastReadsSync();
  private readonly out: BroadcastChannel;
  private readonly in: BroadcastChannel;
  /** Messages posted, wrapping as the lane's count of side records taken does. */
  private sent = 0;
  /** Messages that came before anyone asked for them: from the event loop, or the early way. */
  private readonly delivered: unknown[] = [];
  constructor(
    outName: string,
    private readonly inName: string,
    private early?: EarlyRoute,
    private readonly pull?: () => void,
  ) {
    this.out = new BroadcastChannel(outName);
    this.in = new BroadcastChannel(inName);
    this.out.unref();
    this.in.unref();
    // A BroadcastChannel hands its messages to the event loop as soon as it turns, and drops
    // them when nobody listens: keep them. A blocked thread reads them with receiveMessageOnPort.
    this.in.onmessage = (event) => this.delivered.push((event as { data: unknown }).data);
  }
  post(message: unknown, _transfer?: readonly Transferable[], lead?: LeadMessage): boolean {
    if (this.early?.ready(this.sent)) this.early = undefined;
    // A record and the value ahead of it go the same way (`sent` counts records, as the lane does).
    if (this.early) {
      if (lead !== undefined) this.early.post(lead);
      this.early.post(message);
    } else {
      if (lead !== undefined) this.out.postMessage(lead);
      this.out.postMessage(message);
    }
    this.sent = (this.sent + 1) | 0;
    return true;
  }
  deliverEarly(to: string, message: unknown): boolean {
    if (to !== this.inName) return false;
    this.delivered.push(message);
    return true;
  }
  receive(): unknown {
    if (this.delivered.length === 0) this.pull?.();
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
