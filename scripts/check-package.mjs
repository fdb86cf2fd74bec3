// Checks the package as it would be published: packs the built tree (without running prepack,
// so `npm test` does not build twice), checks the tarball holds what users need and nothing of
// the sources, then lints it with publint and arethetypeswrong. Offline: both read the tarball.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('check-package: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'sideloop-pack-'));
try {
  const [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir]));
  const files = new Set(packed.files.map((f) => f.path));
  const required = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/loop-thread.js'];
  const missing = required.filter((f) => !files.has(f));
  const stray = [...files].filter((f) => !f.startsWith('dist/') && !required.includes(f));
  if (missing.length > 0 || stray.length > 0) {
    console.error(`check-package: the tarball misses [${missing.join(', ')}] and has stray [${stray.join(', ')}]`);
    process.exit(1);
  }
  const tarball = join(dir, packed.filename);
  process.stdout.write(run(bin('publint'), ['run', tarball, '--strict']));
  // The node16 profile: engines says Node >= 20, where subpath exports always resolve; node10's
  // resolution (no exports map) cannot see sideloop/synckit and would fail for no user.
  process.stdout.write(run(bin('attw'), [tarball, '--profile', 'node16', '--no-emoji', '--no-color', '--format', 'table-flipped']));
  console.log(`check-package: ${packed.filename} (${files.size} files, ${packed.size} bytes) is clean`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
