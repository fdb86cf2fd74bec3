// Checks the package as it would be published: packs the built tree (without running prepack,
// so `npm test` does not build twice), checks the tarball holds what users need and nothing of
// the sources, then lints it with publint and arethetypeswrong. Offline: both read the tarball.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
/** Runs a checker with its output shown; exits with its status when it fails. */
function check(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('check-package: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'sideloop-pack-'));
try {
  const [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir]));
  const files = new Set(packed.files.map((f) => f.path));
  const required = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/loop-thread.js', 'dist/loop-thread.d.ts'];
  const missing = required.filter((f) => !files.has(f));
  const stray = [...files].filter((f) => !f.startsWith('dist/') && !required.includes(f));
  if (missing.length > 0 || stray.length > 0) {
    console.error(`check-package: the tarball misses [${missing.join(', ')}] and has stray [${stray.join(', ')}]`);
    process.exit(1);
  }
  // The files loop threads load by URL are copied beside bundles as they are: they may import Node's modules only.
  for (const file of ['loop-thread.js', 'compat-runner.js']) {
    const relative = /\bfrom\s*["']\.\.?\//.exec(readFileSync(join(root, 'dist', file), 'utf8'));
    if (relative) {
      console.error(`check-package: dist/${file} imports a file of its own (${relative[0]}...): it must be self-contained`);
      process.exit(1);
    }
  }
  const tarball = join(dir, packed.filename);
  check(bin('publint'), ['run', tarball, '--strict']);
  // sideloop/loop-thread and sideloop/compat-runner are files for bundlers to emit (a Worker entry, and
  // the module loop threads load for the drop-ins), not modules to import or require: they are left out. The strict profile checks node10 resolution too
  // (TypeScript's legacy moduleResolution "node", which reads no exports map): package.json's
  // typesVersions gives it the subpaths' types.
  check(bin('attw'), [tarball, '--no-emoji', '--no-color', '--format', 'table-flipped', '--exclude-entrypoints', 'loop-thread', 'compat-runner']);
  console.log(`check-package: ${packed.filename} (${files.size} files, ${packed.size} bytes) is clean`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
