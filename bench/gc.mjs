// What young-generation collections cost a pipelined burst, per thread: bytes allocated and
// bytes promoted (copied out of the young generation because they were still alive) per task,
// and scavenge pause per task. Unlike wall time, promoted bytes barely move with machine load,
// so this shows a change in what stays alive even where timings are too noisy to.
// Run: node bench/gc.mjs [tasks in flight, default 100000] [bursts, default 1.6M tasks' worth]
// [V8 flags for the measured process, e.g. --max-semi-space-size=2]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const flags = process.argv.slice(2).filter((a) => a.startsWith('--') && a !== '--child');
const [inFlightArg, burstsArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const inFlight = Number(inFlightArg ?? 100000);
const bursts = Number(burstsArg ?? Math.max(4, Math.round(1.6e6 / inFlight)));
if (process.argv[2] === '--child') {
  globalThis.gc(); // a first GC line from this thread's isolate, before the loop thread exists
  const { LoopManager, defineTasks } = await import('../dist/index.js');
  const tasks = defineTasks(new URL('./tasks.mjs', import.meta.url));
  const mgr = new LoopManager().start();
  for (let b = 0; b < bursts; b++) {
    const all = new Array(inFlight);
    for (let i = 0; i < inFlight; i++) all[i] = mgr.submitTask(tasks.inc(i));
    await Promise.all(all);
  }
  await mgr.stop();
} else {
  // A GC line's fields: name=value pairs up to Node 24, a JSON object after "GC: " from Node 26.
  const gcFields = (line) => {
    const json = line.indexOf(' GC: {');
    if (json >= 0) return JSON.parse(line.slice(json + 5));
    if (!line.includes(' gc=')) return undefined;
    return Object.fromEntries(line.split(/\s+/).map((kv) => kv.split('=')).filter((kv) => kv.length === 2));
  };
  const self = fileURLToPath(import.meta.url);
  const out = spawnSync(process.execPath, ['--trace-gc-nvp', '--expose-gc', ...flags, self, '--child', String(inFlight), String(bursts)], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`);
  // Each line starts with [pid:isolate]; the submitting thread's isolate prints first (see gc() above).
  const byIsolate = new Map();
  for (const line of out.stdout.split('\n')) {
    const f = gcFields(line);
    if (f === undefined) continue;
    const isolate = line.slice(0, line.indexOf(']'));
    const s = byIsolate.get(isolate) ?? { allocated: 0, promoted: 0, pause: 0, scavenges: 0 };
    byIsolate.set(isolate, s);
    s.allocated += Number(f.allocated) || 0;
    if (f.gc === 's') {
      s.promoted += Number(f.promoted) || 0;
      s.pause += Number(f.pause) || 0;
      s.scavenges++;
    }
  }
  const tasks = inFlight * bursts;
  const names = ['submitting thread', 'loop thread'];
  console.log(`${bursts} bursts of ${inFlight} awaited tasks, Node ${process.version}`);
  [...byIsolate.values()].slice(0, 2).forEach((s, i) => {
    console.log(
      `${names[i]}: allocated ${(s.allocated / tasks).toFixed(0)} B/task, promoted ${(s.promoted / tasks).toFixed(0)} B/task, ` +
        `${s.scavenges} scavenges pausing ${((s.pause * 1000) / tasks).toFixed(2)} us/task`,
    );
  });
}
