/**
 * What a compatibility call writes to stdout and stderr, carried back with its
 * answer and written again in the caller before the call returns, in order, one
 * write per write (synckit and make-synchronized both promise this). A
 * worker's stdio otherwise reaches the parent through the parent's event loop,
 * which a blocked caller is not running.
 *
 * The loop side replaces the `_writev` of the loop thread's stdio streams, as
 * both libraries do in their workers: every write of the stream (console.log
 * included) lands there, synchronously and in order.
 */
import type { ErrorData } from '../channel/error-codec.js';

/** One write: 1 for stdout, 2 for stderr; the chunk; its encoding when given. */
export type OutputChunk = readonly [stream: 1 | 2, chunk: string | Uint8Array, encoding?: BufferEncoding];

/** A compatibility call's answer: its value or its error, and what it wrote. */
export interface Reply<T = unknown> {
  readonly v?: T;
  readonly e?: ErrorData;
  readonly o?: OutputChunk[];
}

type Writev = (chunks: { chunk: string | Uint8Array; encoding: BufferEncoding }[], callback: (err?: Error | null) => void) => void;

let buffer: OutputChunk[] | undefined;

/** Loop side: from now on this thread's stdio writes are kept until `takeOutput()`. */
export function captureOutput(): void {
  if (buffer) return;
  buffer = [];
  for (const [fd, stream] of [
    [1, process.stdout],
    [2, process.stderr],
  ] as const) {
    const writable = stream as unknown as { _writev?: Writev };
    // Only a worker's stdio streams have one; a main thread's stdio is left alone.
    if (typeof writable._writev !== 'function') continue;
    writable._writev = (chunks, callback) => {
      for (const { chunk, encoding } of chunks) buffer!.push(encoding && typeof chunk === 'string' ? [fd, chunk, encoding] : [fd, chunk]);
      callback();
    };
  }
}

/** Loop side: what was written since the last take, if anything. */
export function takeOutput(): OutputChunk[] | undefined {
  if (!buffer || buffer.length === 0) return undefined;
  const out = buffer;
  buffer = [];
  return out;
}

/** Caller side: writes a reply's output through this thread's streams (so hooks on `write` see it). */
export function replayOutput(chunks: readonly OutputChunk[] | undefined): void {
  if (!chunks) return;
  for (const [fd, chunk, encoding] of chunks) {
    const stream = fd === 1 ? process.stdout : process.stderr;
    if (encoding) stream.write(chunk, encoding);
    else stream.write(chunk);
  }
}
