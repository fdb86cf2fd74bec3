/**
 * Task output: what code in a loop thread writes to `process.stdout` and
 * `process.stderr` (console.log and console.error included). A worker's stdio
 * normally travels as messages to its parent's event loop, which a caller
 * blocked in `result()` does not run: the output would show up late, out of
 * order with the caller's own, or never (a script that ends right after the
 * call). So the loop thread carries it itself, on the lane of the task that
 * wrote it, and the caller writes it to its own streams (client-lane.ts).
 * @internal
 */
import { OutStream } from '../channel/records.js';
import { lazyBuiltin } from '../builtin.js';

/** Where a write goes; returns false when it cannot take it (the write then goes the usual way). */
export type OutputSink = (stream: OutStream, chunk: string | Uint8Array) => boolean;

type WriteCallback = (err?: Error | null) => void;
type Write = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;

/** Routes this thread's stdout and stderr writes to `sink`. Only a loop thread calls this. */
export function captureOutput(sink: OutputSink): void {
  capture(process.stdout, OutStream.Stdout, sink);
  capture(process.stderr, OutStream.Stderr, sink);
  routeConsoleThroughStreams();
}

/**
 * Node's and Bun's consoles write through process.stdout and process.stderr;
 * Deno's writes past them, so a task's console.log would skip the lane. There
 * the global console's methods are replaced by those of a Console over the
 * streams. By name: no probe tells without printing (Deno's worker console
 * even names process.stdout as its stream).
 */
function routeConsoleThroughStreams(): void {
  if (typeof (globalThis as { Deno?: unknown }).Deno === 'undefined') return;
  const { Console } = lazyBuiltin<typeof import('node:console')>('node:console')();
  const routed = new Console({ stdout: process.stdout, stderr: process.stderr });
  const target = console as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(routed)) {
    if (typeof value === 'function' && typeof target[key] === 'function') target[key] = value;
  }
}

function capture(stream: NodeJS.WriteStream, which: OutStream, sink: OutputSink): void {
  const original = stream.write.bind(stream) as Write;
  const write: Write = (chunk, encoding, cb) => {
    const callback = (typeof encoding === 'function' ? encoding : cb) as WriteCallback | undefined;
    let data: string | Uint8Array | undefined;
    if (typeof chunk === 'string') {
      data = typeof encoding === 'string' && !/^utf-?8$/i.test(encoding) ? Buffer.from(chunk, encoding as BufferEncoding) : chunk;
    } else if (chunk instanceof Uint8Array) {
      data = chunk;
    }
    let taken = false;
    try {
      taken = data !== undefined && sink(which, data);
    } catch {
      // Never let a console.log break the task: the write goes the usual way.
    }
    if (!taken) return original(chunk, encoding, cb);
    if (callback) process.nextTick(callback, null);
    return true;
  };
  stream.write = write as typeof stream.write;
}
