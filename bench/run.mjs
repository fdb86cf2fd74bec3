// `npm run bench [-- --quick] [-- --rounds N] [-- --only case,...]`: sideloop side by side with its peers, in one run.
// Every case runs in a process of its own (another library's idle threads change
// wake-up costs), the contenders alternate, and each number is a median over rounds.
// Some cases run where cores are scarce: pinned to one core (`taskset -c 0`, as in a
// 1-CPU container), or beside two busy processes that this script starts and kills.
// Prints a table of ratios against the goals of SPEC section 7 and writes bench/results.json.
// A missed goal is printed, never an error: only a case that fails to run fails the run.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { median } from './measure.mjs';
import { startBusy, stopBusy, tasksetPath } from './scarce.mjs';

const quick = process.argv.includes('--quick');

/** The value after `flag`, or undefined without the flag; a flag with nothing after it is an error, not a silent default. */
function flagValue(flag) {
  const at = process.argv.indexOf(flag);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (value === undefined || value.startsWith('--')) usage(`${flag} needs a value`);
  return value;
}

function usage(problem) {
  console.error(`bench: ${problem} (npm run bench [-- --quick] [-- --rounds N] [-- --only case,...])`);
  process.exit(2);
}

// `--rounds N` trades precision for time on a machine too loaded for five rounds of everything.
const roundsValue = flagValue('--rounds');
const rounds = roundsValue === undefined ? (quick ? 1 : 5) : Number(roundsValue);
if (!Number.isInteger(rounds) || rounds < 1) usage(`--rounds ${roundsValue}: a whole number of rounds, 1 or more`);
const caseFile = new URL('./case.mjs', import.meta.url).pathname;
const taskset = tasksetPath();

/**
 * `where`: undefined (every core this process may use), 'one core' or 'busy' (two busy processes
 * beside it). `processes`: how many processes of each contender a round runs (default 1).
 */
const scenarios = [
  { name: 'sync', title: 'blocking round trip, trivial task', contenders: ['sideloop', 'synckit', 'port+wait', 'floor'] },
  { name: 'sync', where: 'one core', title: 'blocking round trip, trivial task', contenders: ['sideloop', 'synckit', 'futex floor'] },
  { name: 'sync', where: 'busy', title: 'blocking round trip, trivial task', contenders: ['sideloop', 'synckit'] },
  { name: 'sync:background', title: 'blocking round trip while another task runs', contenders: ['sideloop', 'synckit'] },
  { name: 'awaited', title: 'awaited round trip, one in flight', contenders: ['sideloop', 'piscina'] },
  { name: 'awaited', where: 'one core', title: 'awaited round trip, one in flight', contenders: ['sideloop', 'piscina'] },
  { name: 'awaited', where: 'busy', title: 'awaited round trip, one in flight', contenders: ['sideloop', 'piscina'] },
  { name: 'sleep:1', title: 'blocking call of a 1 ms task', contenders: ['sideloop', 'synckit'] },
  { name: 'sleep:10', title: 'blocking call of a 10 ms task', contenders: ['sideloop', 'synckit'] },
  { name: 'pipelined', title: `pipelined async, ${quick ? '20k' : '100k'} tasks in flight`, contenders: ['sideloop', 'piscina', 'tinypool', 'promises only'] },
  { name: 'startup', title: 'start to first result', contenders: ['sideloop', 'bare Worker'] },
  { name: 'startup:cold', title: 'cold start: import to first result, fresh process', contenders: ['sideloop', 'bare Worker'] },
  { name: 'idle', title: '10 idle loops: CPU, RSS per thread', contenders: ['sideloop', 'bare Worker'] },
  { name: 'blocked', title: 'thread blocked on a 2 s task: CPU', contenders: ['sideloop', 'synckit'] },
  { name: 'echo:1k-string', title: 'blocking echo, 1 KiB string', contenders: ['sideloop', 'synckit'] },
  { name: 'echo:64k-object', title: 'blocking echo, 64 KiB plain object', contenders: ['sideloop', 'synckit'] },
  { name: 'echo:1m-object', title: 'blocking echo, 1 MiB plain object', contenders: ['sideloop', 'synckit'] },
  { name: 'echo:16m-string', title: 'blocking echo, 16 MiB string', contenders: ['sideloop', 'synckit'] },
  { name: 'payload:1k', title: 'awaited round trip, 1 KiB object', contenders: ['sideloop', 'postMessage'] },
  { name: 'payload:64k', title: 'awaited round trip, 64 KiB string', contenders: ['sideloop', 'postMessage'] },
  { name: 'payload:1m', title: 'awaited, 1 MiB ArrayBuffer transferred', contenders: ['sideloop', 'postMessage'] },
  // Three processes of each contender a round: a process of this case runs as much as 25% faster
  // or slower than the next of the same contender (all three alike), more than the goals' margins.
  { name: 'prettier', title: 'prettier 3, real files, from sync code', contenders: ['sideloop', '@prettier/sync', 'async, one thread'], processes: 3 },
  { name: 'contention:4to1', title: '4 threads blocking on 1 loop', contenders: ['sideloop', 'synckit'] },
  { name: 'contention:1to4', title: '1 thread pipelining to 4 loops', contenders: ['sideloop', 'piscina'] },
];

const faster = (x) => ({ text: `>= ${x}x faster`, ratio: (s, p) => p / s, met: (r) => r >= x });
const reference = (text = '(reference)') => ({ text, ratio: (s, p) => p / s, met: () => null });
/** `scenario` names the case (with `@where`); `key` the metric compared (default: the median time). */
const goals = [
  { scenario: 'sync', peer: 'synckit', ...faster(20) },
  { scenario: 'sync', peer: 'floor', text: 'within 5x of the floor', ratio: (s, p) => s / p, met: (r) => r <= 5 },
  { scenario: 'sync', peer: 'port+wait', ...reference() },
  { scenario: 'sync@one core', peer: 'synckit', ...faster(1.5) },
  { scenario: 'sync@one core', peer: 'futex floor', text: '(reference: bare Atomics.wait/notify ping-pong)', ratio: (s, p) => s / p, met: () => null },
  { scenario: 'sync@busy', peer: 'synckit', ...faster(2) },
  { scenario: 'sync:background', peer: 'synckit', ...reference('(reference: synckit has no other task)') },
  { scenario: 'awaited', peer: 'piscina', ...reference() },
  { scenario: 'awaited@one core', peer: 'piscina', ...faster(1.5) },
  { scenario: 'awaited@busy', peer: 'piscina', ...faster(1.5) },
  { scenario: 'sleep:1', peer: 'synckit', key: 'cpu', text: 'CPU per call <= 1.25x', ratio: (s, p) => s / p, met: (r) => r <= 1.25 },
  { scenario: 'sleep:10', peer: 'synckit', key: 'cpu', text: '(reference: CPU per call)', ratio: (s, p) => s / p, met: () => null },
  { scenario: 'pipelined', peer: 'piscina', text: '>= 10x throughput', ratio: (s, p) => p / s, met: (r) => r >= 10 },
  { scenario: 'pipelined', peer: 'tinypool', ...reference() },
  { scenario: 'pipelined', peer: 'promises only', text: '(reference: no threads)', ratio: (s, p) => s / p, met: () => null },
  { scenario: 'startup', peer: 'bare Worker', text: '<= 1.5x', ratio: (s, p) => s / p, met: (r) => r <= 1.5 },
  { scenario: 'startup:cold', peer: 'bare Worker', text: '(reference: a CLI run)', ratio: (s, p) => s / p, met: () => null },
  { scenario: 'idle', peer: 'bare Worker', text: 'RSS <= 1.2x', key: 'rssMbPerThread', ratio: (s, p) => s / p, met: (r) => r <= 1.2 },
  { scenario: 'idle', peer: 'bare Worker', text: 'CPU near zero (< 1% of a core)', ratio: (s) => s, met: (r) => r < 1, absolute: true },
  { scenario: 'blocked', peer: 'synckit', text: 'CPU near zero (< 1% of a core)', ratio: (s) => s, met: (r) => r < 1, absolute: true },
  { scenario: 'echo:1k-string', peer: 'synckit', ...faster(5) },
  { scenario: 'echo:64k-object', peer: 'synckit', ...faster(1.2) },
  { scenario: 'echo:1m-object', peer: 'synckit', ...faster(1.2) },
  { scenario: 'echo:16m-string', peer: 'synckit', ...faster(1) },
  { scenario: 'payload:1k', peer: 'postMessage', ...reference() },
  { scenario: 'payload:64k', peer: 'postMessage', ...reference() },
  { scenario: 'payload:1m', peer: 'postMessage', ...reference() },
  { scenario: 'prettier', peer: '@prettier/sync', ...faster(1) },
  { scenario: 'prettier', peer: 'async, one thread', text: 'within 1.1x', ratio: (s, p) => s / p, met: (r) => r <= 1.1 },
  { scenario: 'contention:4to1', peer: 'synckit', ...reference() },
  { scenario: 'contention:1to4', peer: 'piscina', ...reference() },
];

const failures = [];
const keyOf = ({ name, where }) => (where ? `${name}@${where}` : name);

function runCase(scenario, contender) {
  const args = [process.execPath, caseFile, scenario.name, contender, ...(quick ? ['--quick'] : [])];
  const [file, ...rest] = scenario.where === 'one core' ? [taskset, '-c', '0', ...args] : args;
  const busy = scenario.where === 'busy' ? startBusy(2) : [];
  try {
    const out = execFileSync(file, rest, { encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (err) {
    console.error(`  ${keyOf(scenario)}/${contender} failed: ${err.message.split('\n')[0]}`);
    failures.push(`${keyOf(scenario)}/${contender}`);
    return null;
  } finally {
    stopBusy(busy);
  }
}

/** The median of a case's samples that are numbers (a contender may report none, e.g. no CPU figure): null when none are. */
const medianOf = (xs) => {
  const numbers = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return numbers.length ? median(numbers) : null;
};

// `--only prettier,sync@one core`: just those cases (a name alone takes it everywhere it runs).
const only = flagValue('--only')?.split(',');
const runnable = scenarios.filter((s) => (s.where !== 'one core' || taskset) && (!only || only.includes(s.name) || only.includes(keyOf(s))));
if (only && runnable.length === 0) usage(`--only ${only.join(',')}: no such case (cases: ${[...new Set(scenarios.map(keyOf))].join(', ')})`);
if (!taskset) console.error('taskset not found: the one-core cases are skipped');
const samples = {};
for (let round = 0; round < rounds; round++) {
  for (const scenario of runnable) {
    const { contenders } = scenario;
    // Alternate the order each round, so no contender always runs on a warmer machine.
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    const processes = quick ? 1 : (scenario.processes ?? 1);
    for (const contender of Array.from({ length: processes }, () => order).flat()) {
      process.stderr.write(`round ${round + 1}/${rounds}: ${keyOf(scenario)}/${contender}\n`);
      const r = runCase(scenario, contender);
      if (!r) continue;
      const bucket = (samples[`${keyOf(scenario)}/${contender}`] ??= { unit: r.unit, value: [], cpu: [], rssMbPerThread: [] });
      bucket.value.push(r.value);
      bucket.cpu.push(r.cpu);
      bucket.rssMbPerThread.push(r.rssMbPerThread);
    }
  }
}

const results = {};
for (const [key, b] of Object.entries(samples)) {
  results[key] = { unit: b.unit, value: medianOf(b.value), cpu: medianOf(b.cpu), rssMbPerThread: medianOf(b.rssMbPerThread), runs: b.value.length };
}

const fmt = (x, digits = 2) => (x === null || x === undefined ? '-' : Number(x).toFixed(digits));
const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(
  `\nsideloop benchmark: Node ${process.version}, ${os.availableParallelism()} cores, load average at the end ${load}, ${rounds} round(s)${quick ? ' (quick)' : ''}\n`,
);
console.log('| case | where | contender | median | unit | CPU per op |');
console.log('|---|---|---|---:|---|---:|');
for (const scenario of runnable) {
  for (const c of scenario.contenders) {
    const r = results[`${keyOf(scenario)}/${c}`];
    if (!r) continue;
    const extra = r.rssMbPerThread != null ? ` (RSS ${fmt(r.rssMbPerThread, 1)} MB/thread)` : '';
    console.log(`| ${scenario.title} | ${scenario.where ?? 'free cores'} | ${c} | ${fmt(r.value)}${extra} | ${r.unit} | ${fmt(r.cpu)} |`);
  }
}

const verdicts = [];
console.log('\n| goal (SPEC section 7) | sideloop | peer | ratio | met |');
console.log('|---|---:|---:|---:|---|');
for (const g of goals) {
  const s = results[`${g.scenario}/sideloop`];
  const p = results[`${g.scenario}/${g.peer}`];
  if (!s || (!p && !g.absolute)) continue;
  const key = g.key ?? 'value';
  const ratio = g.ratio(s[key], p?.[key]);
  const met = g.met(ratio);
  verdicts.push({ scenario: g.scenario, peer: g.peer, goal: g.text, metric: key, sideloop: s[key], peerValue: p?.[key] ?? null, ratio, met });
  const label = g.absolute ? `${g.scenario}: ${g.text}` : `${g.scenario} vs ${g.peer}: ${g.text}`;
  console.log(`| ${label} | ${fmt(s[key])} | ${g.absolute ? '-' : fmt(p?.[key])} | ${g.absolute ? fmt(ratio) + '%' : fmt(ratio) + 'x'} | ${met === null ? '' : met ? 'yes' : 'NO'} |`);
}

// A run of some cases only leaves the last whole run's results as they are.
if (only) console.log('\n--only: bench/results.json not written');
else {
  const file = new URL('./results.json', import.meta.url);
  writeFileSync(
    file,
    JSON.stringify(
      { date: new Date().toISOString(), node: process.version, cores: os.availableParallelism(), loadAverage: os.loadavg(), quick, rounds, results, goals: verdicts },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nwritten to ${file.pathname}`);
}
// A case that failed to run is a broken benchmark: fail, so CI's smoke run notices.
if (failures.length) {
  console.error(`\n${failures.length} case(s) failed: ${failures.join(', ')}`);
  process.exitCode = 1;
}
