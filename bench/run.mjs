// `npm run bench [-- --quick]`: sideloop side by side with its peers, in one run.
// Every case runs in a process of its own (another library's idle threads change
// wake-up costs), the contenders alternate, and each number is a median over rounds.
// Prints a table of ratios against the goals of SPEC section 7 and writes bench/results.json.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';

const quick = process.argv.includes('--quick');
const rounds = quick ? 1 : 5;
const caseFile = new URL('./case.mjs', import.meta.url).pathname;

const scenarios = [
  { name: 'sync', title: 'blocking round trip, trivial task', contenders: ['sideloop', 'synckit', 'port+wait', 'floor'] },
  { name: 'pipelined', title: `pipelined async, ${quick ? '20k' : '100k'} tasks in flight`, contenders: ['sideloop', 'piscina', 'tinypool', 'promises only'] },
  { name: 'startup', title: 'start to first result', contenders: ['sideloop', 'bare Worker'] },
  { name: 'idle', title: '10 idle loops: CPU, RSS per thread', contenders: ['sideloop', 'bare Worker'] },
  { name: 'blocked', title: 'thread blocked on a 2 s task: CPU', contenders: ['sideloop', 'synckit'] },
  { name: 'payload:1k', title: 'awaited round trip, 1 KiB object', contenders: ['sideloop', 'postMessage'] },
  { name: 'payload:64k', title: 'awaited round trip, 64 KiB string', contenders: ['sideloop', 'postMessage'] },
  { name: 'payload:1m', title: 'awaited, 1 MiB ArrayBuffer transferred', contenders: ['sideloop', 'postMessage'] },
  { name: 'contention:4to1', title: '4 threads blocking on 1 loop', contenders: ['sideloop', 'synckit'] },
  { name: 'contention:1to4', title: '1 thread pipelining to 4 loops', contenders: ['sideloop', 'piscina'] },
];

/** [scenario, sideloop's metric, peer, peer's metric, goal text, test(ratio)] */
const goals = [
  { scenario: 'sync', peer: 'synckit', text: '>= 20x faster', ratio: (s, p) => p / s, met: (r) => r >= 20 },
  { scenario: 'sync', peer: 'floor', text: 'within 5x of the floor', ratio: (s, p) => s / p, met: (r) => r <= 5 },
  { scenario: 'sync', peer: 'port+wait', text: '(reference)', ratio: (s, p) => p / s, met: () => null },
  { scenario: 'pipelined', peer: 'piscina', text: '>= 10x throughput', ratio: (s, p) => p / s, met: (r) => r >= 10 },
  { scenario: 'pipelined', peer: 'tinypool', text: '(reference)', ratio: (s, p) => p / s, met: () => null },
  { scenario: 'pipelined', peer: 'promises only', text: '(reference: no threads)', ratio: (s, p) => s / p, met: () => null },
  { scenario: 'startup', peer: 'bare Worker', text: '<= 1.5x', ratio: (s, p) => s / p, met: (r) => r <= 1.5 },
  { scenario: 'idle', peer: 'bare Worker', text: 'RSS <= 1.2x', key: 'rssMbPerThread', ratio: (s, p) => s / p, met: (r) => r <= 1.2 },
  { scenario: 'idle', peer: 'bare Worker', text: 'CPU near zero (< 1% of a core)', ratio: (s) => s, met: (r) => r < 1, absolute: true },
  { scenario: 'blocked', peer: 'synckit', text: 'CPU near zero (< 1% of a core)', ratio: (s) => s, met: (r) => r < 1, absolute: true },
  { scenario: 'payload:1k', peer: 'postMessage', text: '(reference)', ratio: (s, p) => p / s, met: () => null },
  { scenario: 'payload:64k', peer: 'postMessage', text: '(reference)', ratio: (s, p) => p / s, met: () => null },
  { scenario: 'payload:1m', peer: 'postMessage', text: '(reference)', ratio: (s, p) => p / s, met: () => null },
  { scenario: 'contention:4to1', peer: 'synckit', text: '(reference)', ratio: (s, p) => p / s, met: () => null },
  { scenario: 'contention:1to4', peer: 'piscina', text: '(reference)', ratio: (s, p) => p / s, met: () => null },
];

const failures = [];

function runCase(scenario, contender) {
  const args = [caseFile, scenario, contender, ...(quick ? ['--quick'] : [])];
  try {
    const out = execFileSync(process.execPath, args, { encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (err) {
    console.error(`  ${scenario}/${contender} failed: ${err.message.split('\n')[0]}`);
    failures.push(`${scenario}/${contender}`);
    return null;
  }
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : null;
};

const samples = {};
for (let round = 0; round < rounds; round++) {
  for (const { name, contenders } of scenarios) {
    // Alternate the order each round, so no contender always runs on a warmer machine.
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      process.stderr.write(`round ${round + 1}/${rounds}: ${name}/${contender}\n`);
      const r = runCase(name, contender);
      if (!r) continue;
      const bucket = (samples[`${name}/${contender}`] ??= { unit: r.unit, value: [], cpu: [], rssMbPerThread: [] });
      bucket.value.push(r.value);
      bucket.cpu.push(r.cpu);
      bucket.rssMbPerThread.push(r.rssMbPerThread);
    }
  }
}

const results = {};
for (const [key, b] of Object.entries(samples)) {
  results[key] = { unit: b.unit, value: median(b.value), cpu: median(b.cpu), rssMbPerThread: median(b.rssMbPerThread), runs: b.value.length };
}

const fmt = (x, digits = 2) => (x === null || x === undefined ? '-' : Number(x).toFixed(digits));
console.log(`\nsideloop benchmark: Node ${process.version}, ${os.cpus().length} cores, ${rounds} round(s)${quick ? ' (quick)' : ''}\n`);
console.log('| case | contender | median | unit | CPU per op |');
console.log('|---|---|---:|---|---:|');
for (const { name, title, contenders } of scenarios) {
  for (const c of contenders) {
    const r = results[`${name}/${c}`];
    if (!r) continue;
    const extra = r.rssMbPerThread != null ? ` (RSS ${fmt(r.rssMbPerThread, 1)} MB/thread)` : '';
    console.log(`| ${title} | ${c} | ${fmt(r.value)}${extra} | ${r.unit} | ${fmt(r.cpu)} |`);
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
  verdicts.push({ scenario: g.scenario, peer: g.peer, goal: g.text, sideloop: s[key], peerValue: p?.[key] ?? null, ratio, met });
  const label = g.absolute ? `${g.scenario}: ${g.text}` : `${g.scenario} vs ${g.peer}: ${g.text}`;
  console.log(`| ${label} | ${fmt(s[key])} | ${g.absolute ? '-' : fmt(p?.[key])} | ${g.absolute ? fmt(ratio) + '%' : fmt(ratio) + 'x'} | ${met === null ? '' : met ? 'yes' : 'NO'} |`);
}

const file = new URL('./results.json', import.meta.url);
writeFileSync(
  file,
  JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: os.cpus().length, quick, rounds, results, goals: verdicts }, null, 2) + '\n',
);
console.log(`\nwritten to ${file.pathname}`);
// A case that failed to run is a broken benchmark: fail, so CI's smoke run notices.
if (failures.length) {
  console.error(`\n${failures.length} case(s) failed: ${failures.join(', ')}`);
  process.exitCode = 1;
}
