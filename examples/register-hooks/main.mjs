// A module loader whose hooks resolve through async tasks: Node 24's module.registerHooks runs
// resolve and load hooks synchronously, on the thread that imports, so a loader that must ask
// an async service (a registry, a cache, a network) has to block. sideloop's one-liner makes
// the registry's async functions plain synchronous calls, served by a loop thread.
// Node 22.15+ / 23.5+ (module.registerHooks).
import module from 'node:module';
import { syncModule } from 'sideloop';

if (typeof module.registerHooks !== 'function') {
  console.log(`module.registerHooks is missing in Node ${process.version} (it came in 22.15 and 23.5)`);
  process.exit(0);
}

/** @type {import('sideloop').SyncModule<typeof import('./registry.mjs')>} */
const registry = syncModule(new URL('./registry.mjs', import.meta.url));

module.registerHooks({
  resolve(specifier, context, nextResolve) {
    if (!specifier.startsWith('remote:') || specifier.includes('@')) return nextResolve(specifier, context);
    return { url: registry.resolveRemote(specifier.slice('remote:'.length)), shortCircuit: true };
  },
  load(url, context, nextLoad) {
    if (!url.startsWith('remote:')) return nextLoad(url, context);
    return { format: 'module', source: registry.fetchSource(url), shortCircuit: true };
  },
});

const { greet } = await import('remote:greeting');
console.log(greet('hooks'));
try {
  await import('remote:nothing');
} catch (err) {
  console.log(`remote:nothing -> ${err.message}`);
}
console.log(`registry lookups: ${registry.stats().lookups}`);
