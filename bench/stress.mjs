// `npm run stress [-- seconds]`: bursts of 100k awaited tasks, again and again, with a watchdog.
// A future that never settles is a lost answer; when a burst makes no progress for 10 s this
// prints the lane's shared words (ring positions, flags, the loop's counters) and exits 1.
// It reads private fields on purpose: it is a debugging tool, not an example.
import { LoopManager, defineTasks } from '../dist/index.js';

const seconds = Number(process.argv[2] ?? 20);
const tasks = defineTasks(new URL('./tasks.mjs', import.meta.url));
const mgr = new LoopManager({ name: 'stress' }).start();
const BURST = 100_000;
const started = performance.now();
let bursts = 0;

function dump(all) {
  const lane = mgr.run.lane;
  const w = lane.words;
  const c = mgr.run.control.words;
  const settled = all.filter((f) => f.done()).length;
  return [
    `burst ${bursts}: ${settled}/${BURST} settled; calls in table ${lane.calls.size}, queued requests ${lane.sender.queued}`,
    `requests: tail ${w[0]} head ${w[32]}, side ${w[3]}/${w[35]}; results: tail ${w[33]} head ${w[1]}, seq ${w[34]}, held by loop ${w[37]}, side ${w[36]}; waiting ${w[2]}`,
    `loop: state ${c[0]}, parked ${c[2]}, doorbell ${c[1]}; submitted ${c[32]}, started ${c[64]}, completed ${c[65]}`,
  ].join('\n  ');
}

while (performance.now() - started < seconds * 1000) {
  bursts++;
  const all = new Array(BURST);
  for (let i = 0; i < BURST; i++) all[i] = mgr.submitTask(tasks.inc(i));
  let last = -1;
  const dog = setInterval(() => {
    const settled = all.filter((f) => f.done()).length;
    if (settled === last) {
      console.error(`stalled:\n  ${dump(all)}`);
      process.exit(1);
    }
    last = settled;
  }, 10_000);
  const results = await Promise.all(all);
  clearInterval(dog);
  if (results[BURST - 1] !== BURST) throw new Error(`burst ${bursts}: wrong answer ${results[BURST - 1]}`);
}
console.log(`stress: ${bursts} bursts of ${BURST} awaited tasks in ${seconds} s, every future settled`);
await mgr.stop();
