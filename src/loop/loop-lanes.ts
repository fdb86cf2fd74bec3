/**
 * The lanes a loop serves: its owner's, given at boot, and one per other
 * thread that submits to it. Those threads announce their lanes on the loop's
 * lanes channel (a BroadcastChannel named for the loop run) and count them in
 * C_LANES. The event loop delivers announcements; where the channel can be
 * read synchronously (Node), the pump reads it itself when the count moves, so
 * a new lane is served even while the loop spins in the microtask queue.
 * @internal
 */
import { BroadcastChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { BroadcastSideChannel, PortSideChannel } from '../channel/lane.js';
import { C_LANES, lanesChannelName, type EarlySideRecord, type LaneAnnouncement, type LaneBootData } from '../channel/protocol.js';
import { debug } from '../debug.js';
import { LoopLane, type RequestHandler } from './loop-lane.js';

export class LoopLanes {
  /** Every connected lane, in the order they connected (the owner's first). */
  readonly all: LoopLane[] = [];
  private readonly channel: BroadcastChannel;
  private seen = 0;
  /** Called after each lane connects. */
  onConnect: (() => void) | undefined;

  constructor(
    private readonly words: Int32Array,
    loopKey: string,
    private readonly loopName: string,
    private readonly onRequest: RequestHandler,
    private readonly wakeWords: Int32Array | undefined,
    /** Whether the channel can be read synchronously here (runtime.ts: broadcastReadsSync, asked before any channel exists). */
    private readonly readSync: boolean,
    /** An announcement came through the event loop: the loop should look at its lanes. */
    onEvent: () => void,
  ) {
    this.channel = new BroadcastChannel(lanesChannelName(loopKey));
    this.channel.unref();
    this.channel.onmessage = (event) => {
      this.onAnnouncement((event as { data: unknown }).data);
      onEvent();
    };
  }

  connect(data: LaneBootData): void {
    const side = data.port ? new PortSideChannel(data.port) : new BroadcastSideChannel(data.sideToSubmitter!, data.sideToLoop!, undefined, this.readAll);
    const lane = new LoopLane(data.memory, side, this.onRequest, this.wakeWords);
    lane.threadId = data.threadId ?? -1;
    this.all.push(lane);
    debug('loop %s: a lane from thread %d connected (%d lanes)', this.loopName, lane.threadId, this.all.length);
    lane.markConnected();
    this.onConnect?.();
  }

  /** Lanes were announced that this loop has not connected yet. */
  get pending(): boolean {
    return Atomics.load(this.words, C_LANES) !== this.seen;
  }

  /** Connects the lanes announced so far. Where the channel cannot be read here (Bun, Deno) they come as events: the pump does not park while the count is ahead, so the event loop turns and delivers them. */
  takeAnnounced(): void {
    if (!this.readSync) return;
    const announced = Atomics.load(this.words, C_LANES);
    while (this.seen !== announced) {
      const received = receiveMessageOnPort(this.channel as unknown as MessagePort);
      if (!received) break;
      this.onAnnouncement(received.message);
    }
  }

  /** Reads all the channel holds: a lane draining its side channel looks here for what came early. */
  private readonly readAll = (): void => {
    if (!this.readSync) return;
    for (let received = receiveMessageOnPort(this.channel as unknown as MessagePort); received; received = receiveMessageOnPort(this.channel as unknown as MessagePort)) {
      this.onAnnouncement(received.message);
    }
  };

  private onAnnouncement(message: unknown): void {
    const kind = (message as { kind?: unknown } | undefined)?.kind;
    if (kind === 'side') return this.onEarlySideRecord(message as EarlySideRecord);
    if (kind !== 'lane') return;
    this.seen++;
    this.connect((message as LaneAnnouncement).lane);
  }

  /** A side record sent before this loop listened on its lane's channel: it comes after the lane's announcement. */
  private onEarlySideRecord({ to, message }: EarlySideRecord): void {
    for (const lane of this.all) {
      if (!lane.deliverEarly(to, message)) continue;
      return debug('loop %s: a side record from thread %d came before its lane was connected', this.loopName, lane.threadId);
    }
    // Its lane was dropped (its thread ended): the submit is counted cancelled there.
  }

  /** Whether any lane's submitter may send a request soon (LoopLane.mayRequestSoon). */
  someMayRequestSoon(): boolean {
    for (const lane of this.all) if (lane.mayRequestSoon()) return true;
    return false;
  }

  /** Tasks running on all lanes. */
  tasksRunning(): number {
    let running = 0;
    for (const lane of this.all) running += lane.running.size;
    return running;
  }
}
