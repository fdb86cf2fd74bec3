import { defineConfig } from 'tsup';

// One ESM and one CommonJS build. The loop thread always runs the ESM entry
// (dist/loop-thread.js); `shims` gives the CommonJS build an import.meta.url
// so both builds find it the same way.
export default defineConfig({
  entry: { index: 'src/index.ts', 'loop-thread': 'src/loop-thread.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  target: 'node20',
  platform: 'node',
  shims: true,
  splitting: false,
  sourcemap: true,
  clean: true,
});
