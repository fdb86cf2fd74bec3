import { defineConfig } from 'tsup';

// The library: ESM and CommonJS, with types. `shims` gives the CommonJS build an
// import.meta.url, so both builds find the loop thread's entry the same way.
// The loop thread, and the loop side of the compatibility layers: ESM only, whichever build spawned it.
export default defineConfig([
  {
    entry: { index: 'src/index.ts', synckit: 'src/synckit.ts', 'make-synchronized': 'src/make-synchronized.ts' },
    format: ['esm', 'cjs'],
    // Declarations marked @internal (the classes behind the public ones) stay out of the published types.
    dts: { compilerOptions: { stripInternal: true } },
    target: 'node20',
    platform: 'node',
    shims: true,
    sourcemap: true,
  },
  {
    entry: { 'loop-thread': 'src/loop/loop-thread.ts', 'compat-runner': 'src/compat/runners.ts' },
    format: ['esm'],
    // Published as sideloop/loop-thread, for bundles that emit it beside themselves: it exports nothing.
    dts: true,
    // Each file whole, with no chunk shared between them: loop-thread.js must stay one
    // self-contained file that a bundler (or a user) can copy beside a bundle.
    splitting: false,
    target: 'node20',
    platform: 'node',
    sourcemap: true,
  },
  {
    // Preloaded with --require into loop threads, before the parent's own preloads: CommonJS.
    // And the loop thread again as CommonJS, with the entry that compiles it with V8's code cache
    // (src/loop/cached-entry.ts): Node 20 caches no ES module's compiled code.
    entry: { 'boot-guard': 'src/loop/boot-guard.ts', 'loop-thread': 'src/loop/loop-thread.ts', 'loop-thread-cached': 'src/loop/cached-entry.ts' },
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    // loop-thread.cjs finds its peers through import.meta.url, as loop-thread.js does.
    shims: true,
    sourcemap: true,
  },
]);
