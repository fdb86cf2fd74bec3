// A start() that fails before a thread exists (Node refuses the execArgv or env) leaves the
// manager stopped: later submits throw LoopNotRunningError at once, naming the cause, instead
// of blocking for the boot wait and returning a future that never settles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopManager, LoopNotRunningError } from '../dist/index.js';
import { runtime, tasks } from './helpers.mjs';

// Deno's Worker takes --max-old-space-size (and ignores it: a worker given 10 MB holds 48 MB),
// but refuses --expose-gc as Node does.
const processWide = runtime === 'deno' ? '--expose-gc' : '--max-old-space-size=10';

const refused = [
  ['an execArgv flag Node does not know', { execArgv: ['--no-such-flag'] }, /invalid execArgv/],
  ['a process-wide flag a Worker refuses', { execArgv: [processWide] }, /invalid execArgv/],
  ['an env that is not an object', { env: 42 }, /options\.env/],
];

for (const [what, options, cause] of refused) {
  test(`a start() refused for ${what} leaves the manager stopped; submits throw at once`, { timeout: 10000 }, async () => {
    const mgr = new LoopManager(options);
    try {
      assert.throws(() => mgr.start(), cause);
      assert.equal(mgr.state, 'stopped');
      assert.equal(mgr.isRunning, false);
      assert.throws(() => mgr.getEventLoop(), LoopNotRunningError);
      for (const returnSyncFuture of [false, true]) {
        assert.throws(
          () => mgr.submitTask(tasks.echo(1), { returnSyncFuture }),
          (err) => err instanceof LoopNotRunningError && /last start\(\) failed/.test(err.message) && cause.test(err.cause.message),
        );
      }
      assert.equal(mgr.stats().pending, 0);
      await mgr.stop(); // nothing to stop: resolves
      assert.throws(() => mgr.start(), cause, 'a second start() fails the same way, without "already running"');
      assert.equal(mgr.state, 'stopped');
    } finally {
      await mgr[Symbol.asyncDispose]();
    }
  });
}
