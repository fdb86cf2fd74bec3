/**
 * The loop thread's entry on Node when its code cache can be used (built as
 * dist/loop-thread-cached.cjs; client/code-cache.ts picks it). Node 20 keeps no
 * compile cache for ES modules, and compiling the ~130 KB loop thread is most
 * of what loading it costs (6.3 ms imported, 2.2 from the cache:
 * docs/performance.md). So this entry compiles loop-thread.cjs, the CommonJS
 * build of the same loop thread, with the V8 code cache its owner passed in
 * workerData, and runs it. The thread its owner asked to (one at a time), or
 * one whose cache V8 rejected, makes a cache once its loop has run a while, or
 * when it exits, and posts it on the life port for its owner's later starts.
 * @internal
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { workerData, type MessagePort } from 'node:worker_threads';
import { CODE_CACHE, type CodeCacheMessage, type LoopBootData } from '../channel/protocol.js';
import { debug } from '../debug.js';
import { MODULE_HOST, type ModuleHost } from './import-module.js';

/** How long a loop runs before its code is cached: long enough for its first tasks, whose functions V8 then compiled too. */
const CACHE_AFTER_MS = 200;

type CommonJsBody = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

// Before the loop thread runs: it takes its import() and eval from here (import-module.ts).
const host: ModuleHost = { import: (specifier) => import(specifier), evalGlobal: (source) => (0, eval)(source) };
(globalThis as { [MODULE_HOST]?: ModuleHost })[MODULE_HOST] = host;

const boot = workerData as LoopBootData & { lifePort: MessagePort };
const file = join(__dirname, 'loop-thread.cjs');
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`, {
  filename: file,
  cachedData: boot.codeCache,
});
debug('loop thread %s: compiled %s', boot.name, boot.codeCache === undefined ? 'without a code cache' : script.cachedDataRejected ? 'anew: V8 rejected the code cache' : 'from the code cache');
const body = script.runInThisContext() as CommonJsBody;
const loaded = { exports: {} };
body.call(loaded.exports, loaded.exports, createRequire(file), loaded, file, dirname(file));

// The thread keeps its workerData: the cache it no longer needs would stay with it.
delete (boot as { codeCache?: Uint8Array }).codeCache;

if (boot.makeCodeCache === true || script.cachedDataRejected === true) {
  let sent = false;
  const send = (): void => {
    if (sent) return;
    sent = true;
    try {
      const message: CodeCacheMessage = { kind: CODE_CACHE, bytes: script.createCachedData() };
      boot.lifePort.postMessage(message);
    } catch {
      // No cache: later starts compile, as this one did.
    }
  };
  setTimeout(send, CACHE_AFTER_MS).unref();
  process.once('exit', send);
}
