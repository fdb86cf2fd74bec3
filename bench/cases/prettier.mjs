// A real workload: prettier 3 formatting the same 100+ real files (the .js and .ts files that
// piscina and sucrase install into node_modules, 1-20 KB each, read at start), from sync
// code through sideloop, through @prettier/sync, and with prettier's async API awaited in
// this one thread (no thread hop at all: the floor a sync wrapper can approach).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { here, measureAsync, measureSync, quick, sideloop } from '../measure.mjs';

// A batch formats every file once (~0.6-1 s; the first ~2 s). Prettier's code gets faster
// through the fourth batch: four untimed, then the median of four. bench/run.mjs runs this case
// in three processes per contender a round.
const BATCHES = quick ? 2 : 4;
const WARM_UPS = quick ? 1 : 4;
const PACKAGES = ['piscina', 'sucrase'];

export function realFiles() {
  const root = new URL('../../node_modules/', import.meta.url).pathname;
  const found = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/(?<!\.d)\.(c|m)?(j|t)s$/.test(e.name) && statSync(path).size >= 1000 && statSync(path).size <= 20000) found.push({ path, source: readFileSync(path, 'utf8') });
    }
  };
  for (const pkg of PACKAGES) walk(join(root, pkg));
  if (found.length < 100) throw new Error(`only ${found.length} files to format: is node_modules installed?`);
  return found;
}

/** Formats every file once with `format`; a file prettier refuses counts as done for everyone alike. */
const perFile = (unit) => (r) => ({ ...r, value: r.value / 1000, cpu: r.cpu / 1000, unit });

export default {
  async sideloop() {
    const files = realFiles();
    const { LoopManager, defineTasks } = await sideloop();
    const tasks = defineTasks(here('./workers/prettier-task.mjs'));
    const mgr = new LoopManager().start();
    const opts = { returnSyncFuture: true };
    const r = measureSync(() => {
      for (const f of files) {
        try {
          mgr.submitTask(tasks.format(f.source, f.path), opts).result();
        } catch {}
      }
    }, files.length, BATCHES, WARM_UPS);
    await mgr.stop();
    return perFile(`ms/file (${files.length} files)`)(r);
  },
  async '@prettier/sync'() {
    const files = realFiles();
    const { default: prettier } = await import('@prettier/sync');
    return perFile(`ms/file (${files.length} files)`)(
      measureSync(() => {
        for (const f of files) {
          try {
            prettier.format(f.source, { filepath: f.path });
          } catch {}
        }
      }, files.length, BATCHES, WARM_UPS),
    );
  },
  async 'async, one thread'() {
    const files = realFiles();
    const prettier = await import('prettier');
    const r = await measureAsync(async () => {
      for (const f of files) {
        try {
          await prettier.format(f.source, { filepath: f.path });
        } catch {}
      }
    }, files.length, BATCHES, WARM_UPS);
    return perFile(`ms/file (${files.length} files)`)(r);
  },
};
