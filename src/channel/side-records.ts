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
 *
 * Big strings in that value travel as Latin-1 bytes in a transferred
 * ArrayBuffer when they can (packLead): Node makes a string of over ~1 MiB
 * from bytes with one copy into memory outside V8's heap, where V8's
 * deserializer copies it into its heap at a third of the speed. Measured on
 * Node 20, postMessage and receiveMessageOnPort in one thread: 1 MiB 1016 us
 * as a string, 238 us as bytes; 4 MiB 4083 vs 1217; 16 MiB 13.96 ms vs 6.76.
 * At 256 KiB they were even, and below it the string went faster.
 * @internal
 */
import { nodeCompatRuntime } from '../runtime.js';
import type { SideChannel, Transferable } from './lane.js';

/**
 * What goes ahead of a record: the value in a one-item array, or the value with its big
 * strings taken out and the strings as bytes (packLead).
 */
export type LeadMessage = readonly [unknown] | readonly [unknown, readonly PackedString[]];

/** A string taken out of a value: `at` -1 when it is the value, else its index in the argument list. */
interface PackedString {
  readonly at: number;
  readonly bytes: ArrayBuffer;
}

/** Strings this long or longer travel as bytes (see above); Node only (Bun's and Deno's Buffer were not measured). */
const PACKED_STRING_CHARS = nodeCompatRuntime ? Number.POSITIVE_INFINITY : 1 << 20;
/**
 * Matches a character Latin-1 cannot hold. On a string V8 stores one byte per character, it
 * answers at once; one stored two bytes wide is scanned (~0.7 ns a character here) up to its
 * first such character, and then goes as a string: a late one costs the scan for nothing.
 */
const NOT_LATIN1 = /[\u0100-\uffff]/;

/**
 * The message that goes ahead of a record holding `value`, and what it transfers (`transfer`,
 * plus the buffers of the strings taken out). `argList`: `value` is an argument list sideloop
 * made, whose items may be taken out of a copy; otherwise only a string value itself is.
 * Only where the channel transfers: a copied buffer would cost what the string costs.
 */
export function packLead(
  value: unknown,
  argList: boolean,
  canTransfer: boolean,
  transfer?: readonly Transferable[],
): { lead: LeadMessage; transfer?: readonly Transferable[] } {
  if (!canTransfer) return { lead: [value], transfer };
  const packed: PackedString[] = [];
  let sent = value;
  if (packable(value)) {
    packed.push(pack(-1, value));
    sent = null;
  } else if (argList && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!packable(value[i])) continue;
      if (sent === value) sent = value.slice();
      packed.push(pack(i, value[i] as string));
      (sent as unknown[])[i] = null;
    }
  }
  if (packed.length === 0) return { lead: [value], transfer };
  const buffers = packed.map((p) => p.bytes);
  return { lead: [sent, packed], transfer: transfer ? [...transfer, ...buffers] : buffers };
}

function packable(value: unknown): value is string {
  return typeof value === 'string' && value.length >= PACKED_STRING_CHARS && !NOT_LATIN1.test(value);
}

function pack(at: number, text: string): PackedString {
  const bytes = Buffer.allocUnsafeSlow(text.length);
  bytes.write(text, 0, 'latin1');
  return { at, bytes: bytes.buffer as ArrayBuffer };
}

/** The value a lead message carried, its strings put back. */
function unpackLead(message: LeadMessage): unknown {
  if (message.length === 1) return message[0];
  let value = message[0];
  for (const { at, bytes } of message[1]) {
    const text = Buffer.from(bytes).toString('latin1');
    if (at < 0) value = text;
    else (value as unknown[])[at] = text;
  }
  return value;
}

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
      try {
        this.lead = { value: unpackLead(message as unknown as LeadMessage), lost: undefined };
      } catch (err) {
        this.lead = { value: undefined, lost: err };
      }
    }
    const message = this.side.receive() as { readonly record: Uint8Array } | undefined;
    if (message === undefined) return undefined;
    const { value, lost } = this.lead;
    this.lead = undefined;
    return lost === undefined ? { record: message.record, value } : { record: message.record, lost };
  }
}
