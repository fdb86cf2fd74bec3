// Payload costs per shape and size: sideloop's compact codec vs V8's clone (what the ring's
// fallback and postMessage pay), encode + decode in one thread, medians of alternating rounds.
// This is what decides where the compact codec steps aside (src/channel/codec.ts).
//   node --import tsx bench/payload.mjs [--quick]          the codec alone, per shape and size
//   node --import tsx bench/payload.mjs --e2e [--quick]    blocking echo through a loop vs synckit
// Standalone: not part of `npm run bench`. Prints one line per case, us per round trip.
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { ByteReader, ByteWriter } from '../src/channel/codec.ts';
import { cloneBytes, cloneFromBytes } from '../src/channel/v8-clone.ts';
import { median } from './measure.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 11;
const owner = { label: 'bench' };

const obj = (n, valueLen) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key${i}`, `v${String(i).padStart(valueLen, '0')}`]));
const cases = {
  'int': 42,
  'string 16 B': 'x'.repeat(16),
  'string 1 KiB': 'x'.repeat(1024),
  'string 1 KiB, non-ASCII': 'é'.repeat(1024),
  'string 16 KiB': 'x'.repeat(16 * 1024),
  'string 64 KiB': 'x'.repeat(64 * 1024),
  'string 1 MiB': 'x'.repeat(1 << 20),
  'args [1, "a", true]': [1, 'a', true],
  'object 4 keys': { a: 1, b: 'two', c: true, d: null },
  'object 1 KiB (32 keys)': obj(32, 20),
  'object 16 KiB (512 keys)': obj(512, 20),
  'object 64 KiB (2k keys)': obj(2048, 20),
  'array of 1000 numbers': Array.from({ length: 1000 }, (_, i) => i * 1.5),
  'array of 1000 ints': Array.from({ length: 1000 }, (_, i) => i),
  'array of 60 small objects': Array.from({ length: 60 }, (_, i) => ({ id: i, name: `n${i}` })),
  'nested object 1 MiB': { rows: Array.from({ length: 4096 }, (_, i) => obj(8, 20 + (i % 3))) },
};

const w = new ByteWriter(1 << 16);
const viaCodec = (v) => {
  w.reset();
  w.value(v, 'The value', owner);
  return new ByteReader(w.buf.subarray(0, w.pos)).value();
};
const viaV8 = (v) => cloneFromBytes(cloneBytes(v));
// What a value too big for the compact codec pays now (src/channel/payload-route.ts): postMessage
// and receiveMessageOnPort, here within one thread (no wake-up of another thread is counted).
const { port1, port2 } = new MessageChannel();
port1.unref();
port2.unref();
const head = new Uint8Array(5);
const viaPort = (v) => {
  port1.postMessage([v]);
  port1.postMessage({ record: head });
  const value = receiveMessageOnPort(port2).message[0];
  receiveMessageOnPort(port2);
  return value;
};

function time(fn, v, reps) {
  const t = performance.now();
  for (let i = 0; i < reps; i++) fn(v);
  return ((performance.now() - t) * 1000) / reps;
}

if (!process.argv.includes('--e2e')) console.log(`node ${process.version}, ${ROUNDS} alternating rounds, medians (us per encode + decode)`);
if (!process.argv.includes('--e2e')) console.log(['case', 'compact codec', 'V8 clone', 'structuredClone', 'postMessage', 'codec/V8', 'postMessage/V8'].join(' | '));
for (const [name, v] of process.argv.includes('--e2e') ? [] : Object.entries(cases)) {
  // Warm up every path (JIT) for ~100 ms, then size batches to ~10 ms each.
  for (const fn of [viaCodec, viaV8, structuredClone, viaPort]) for (let t = performance.now(); performance.now() - t < 100; ) fn(v);
  const probe = Math.max(time(viaCodec, v, 20), time(viaV8, v, 20));
  const reps = Math.max(3, Math.min(100000, Math.round(10000 / Math.max(probe, 0.01))));
  const a = [];
  const b = [];
  const c = [];
  const d = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(time(viaCodec, v, reps));
    b.push(time(viaV8, v, reps));
    c.push(time(structuredClone, v, reps));
    d.push(time(viaPort, v, reps));
  }
  const [ma, mb, mc, md] = [median(a), median(b), median(c), median(d)];
  console.log([name, ma.toFixed(2), mb.toFixed(2), mc.toFixed(2), md.toFixed(2), (ma / mb).toFixed(2), (md / mb).toFixed(2)].join(' | '));
}

// --e2e: blocking echo round trips of the issue-13 payloads, sideloop (dist/) vs synckit (v8
// serialization through a MessagePort), alternating, medians. `npm run build` first.
if (process.argv.includes('--e2e')) {
  const { LoopManager, defineTasks } = await import('../dist/index.js');
  const { createSyncFn } = await import('synckit');
  const tasks = defineTasks(new URL('./tasks.mjs', import.meta.url));
  const loop = new LoopManager({ name: 'payload' }).start();
  const synckitEcho = createSyncFn(new URL('./workers/synckit-echo-worker.mjs', import.meta.url).pathname);
  const e2e = {
    'string 1 KiB': 'x'.repeat(1024),
    'object 1 KiB (32 keys)': obj(32, 20),
    'object 64 KiB': obj(2048, 20),
    'object 1 MiB': cases['nested object 1 MiB'],
    'string 16 MiB': 'x'.repeat(16 << 20),
  };
  const viaSideloop = (v) => loop.submitTask(tasks.echo(v), { returnSyncFuture: true }).result();
  console.log(`\nblocking echo, us per round trip (${ROUNDS} alternating rounds, medians)`);
  console.log(['case', 'sideloop', 'synckit', 'synckit/sideloop'].join(' | '));
  for (const [name, v] of Object.entries(e2e)) {
    for (const fn of [viaSideloop, synckitEcho]) for (let t = performance.now(); performance.now() - t < 200; ) fn(v);
    const probe = time(viaSideloop, v, 3);
    const reps = Math.max(2, Math.min(20000, Math.round(20000 / Math.max(probe, 0.01))));
    const a = [];
    const b = [];
    for (let r = 0; r < ROUNDS; r++) {
      a.push(time(viaSideloop, v, reps));
      b.push(time(synckitEcho, v, reps));
    }
    const [ma, mb] = [median(a), median(b)];
    console.log([name, ma.toFixed(1), mb.toFixed(1), `${(mb / ma).toFixed(2)}x`].join(' | '));
  }
  await loop.stop();
  process.exit(0);
}
