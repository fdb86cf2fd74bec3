/**
 * A result record too big for a ring record, cut into ring-sized pieces and
 * joined again at the other end. For lanes whose side channel a blocked thread
 * cannot read (a BroadcastChannel on Bun and Deno): the pieces travel through
 * the result ring, which a blocked thread reads. Each piece is a record of its
 * own: Res.Piece, the call id, whether it is the last, then its bytes. The
 * pieces of one record are written one after another, and the joined bytes are
 * the record itself (Ok or Err).
 */
import { ByteReader, ByteWriter } from './codec.js';
import { MAX_INLINE_RECORD } from './protocol.js';
import { Res } from './records.js';

/** Kind, call id, last flag and the length prefix of the bytes. */
const PIECE_HEADER = 1 + 4 + 1 + 4;
const PIECE_BYTES = MAX_INLINE_RECORD - PIECE_HEADER;

const scratch = new ByteWriter(MAX_INLINE_RECORD);

/** Hands `record` (bytes of a whole result record for call `callId`) to `put`, one piece record at a time. */
export function cutIntoPieces(callId: number, record: Uint8Array, put: (w: ByteWriter) => void): void {
  for (let at = 0; at < record.length; at += PIECE_BYTES) {
    const w = scratch.reset();
    w.u8(Res.Piece);
    w.u32(callId);
    w.u8(at + PIECE_BYTES >= record.length ? 1 : 0);
    w.bytes(record.subarray(at, at + PIECE_BYTES));
    put(w);
  }
}

/** Collects pieces by call id; gives back the whole record when its last piece arrives. */
export class PieceJoiner {
  private readonly parts = new Map<number, Uint8Array[]>();

  /** Takes the rest of a Res.Piece record (after its kind and call id); returns the record once complete. */
  take(callId: number, r: ByteReader): ByteReader | undefined {
    const last = r.u8() === 1;
    const bytes = r.bytes();
    let parts = this.parts.get(callId);
    if (parts === undefined) this.parts.set(callId, (parts = []));
    parts.push(bytes);
    if (!last) return undefined;
    this.parts.delete(callId);
    return new ByteReader(Buffer.concat(parts));
  }
}
