/**
 * Records on a lane's side channel, and the values that travel beside them.
 *
 * A value sent as it is (arguments or a result too big for the compact
 * encoding, a big string, a transfer list, a SharedArrayBuffer) goes in a
 * message of its own, wrapped in a one-item array, just before the message
 * that carries its record ({ record }). Two messages, because a value can
 * fail to arrive: one nested deeper than the receiving thread's stack allows
 * throws in receiveMessageOnPort, which drops that message. Were the record
 * in it, the receiver could not tell which call lost its value, and that call
 * would wait forever; with the record after it, that call (and only it) fails.
 * The value goes first so that a value postMessage refuses (a function in it)
 * throws before anything is sent.
 * @internal
 */
import type { SideChannel } from './lane.js';

/** A record that came on the side channel, with the value posted ahead of it, if any. */
export interface SideRecord {
  readonly record: Uint8Array;
  /** The arguments (Req.Submit with SUBMIT_ARGS_ON_SIDE) or the result (Res.OkOnSide) posted ahead of the record. */
  readonly value?: unknown;
  /** Why that value could not be read (set only then). */
  readonly lost?: unknown;
}

/** What a value that came ahead of its record left, until the record comes. */
interface Lead {
  readonly value: unknown;
  readonly lost: unknown;
}

/** Reads records, each with the value posted ahead of it, from one direction of a side channel. */
export class SideRecordReader {
  private lead: Lead | undefined;

  constructor(private readonly side: SideChannel) {}

  /** The next record, or undefined when it has not arrived yet (an event not yet delivered, on Bun and Deno). */
  next(): SideRecord | undefined {
    if (this.lead === undefined) {
      let message: unknown;
      try {
        message = this.side.receive();
      } catch (err) {
        // Only a value can fail to arrive: records are bytes.
        this.lead = { value: undefined, lost: err };
        return this.next();
      }
      if (message === undefined) return undefined;
      if (!Array.isArray(message)) return message as SideRecord;
      this.lead = { value: message[0], lost: undefined };
    }
    const message = this.side.receive() as { readonly record: Uint8Array } | undefined;
    if (message === undefined) return undefined;
    const { value, lost } = this.lead;
    this.lead = undefined;
    return lost === undefined ? { record: message.record, value } : { record: message.record, lost };
  }
}
