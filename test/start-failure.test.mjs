// A start() that fails before a thread exists (Node refuses the execArgv or env) leaves the
// manager stopped: later submits throw LoopNotRunningError at once, naming the cause, instead
// of blocking for the boot wait and returning a future that never settles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopManager, LoopNotRunningError, UnsupportedRuntimeError } from '../dist/index.js';
import { runtime, skipOn, tasks } from './helpers.mjs';

// Bun ignores a Worker's execArgv, and Deno refuses or ignores it (a worker given
// --max-old-space-size=10 holds 48 MB): sideloop refuses the option there, at new LoopManager() (below).
const ignoredExecArgv = skipOn({
  bun: "Bun ignores a Worker's execArgv: refused at new LoopManager(), tested below",
  deno: "Deno refuses or ignores a Worker's execArgv: refused at new LoopManager(), tested below",
});
const refused = [
  ['an execArgv flag Node does not know', { execArgv: ['--no-such-flag'] }, /invalid execArgv/, ignoredExecArgv],
  ['a process-wide flag a Worker refuses', { execArgv: ['--max-old-space-size=10'] }, /invalid execArgv/, ignoredExecArgv],
  ['an env that is not an object', { env: 42 }, /options\.env/, false],
];

for (const [what, options, cause, skip] of refused) {
  test(`a start() refused for ${what} leaves the manager stopped; submits throw at once`, { timeout: 10000, skip }, async () => {
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

test('on Bun and Deno, execArgv flags (which their Workers ignore) are refused by new LoopManager() with UnsupportedRuntimeError naming them', { timeout: 10000 }, async () => {
  for (const execArgv of [['--no-such-flag'], ['--max-old-space-size=10'], ['--import', 'tsx'], ['--conditions=dev'], ['--require', 'preload.cjs']]) {
    if (runtime === 'node') {
      assert.equal(new LoopManager({ execArgv }).state, 'idle', 'elsewhere the flags go to the Worker, which takes or refuses them at start()');
      continue;
    }
    assert.throws(
      () => new LoopManager({ execArgv }),
      (err) => err instanceof UnsupportedRuntimeError && (runtime === 'bun' ? /^Bun / : /^Deno /).test(err.runtime) && /execArgv/.test(err.feature) && err.message.includes(execArgv.join(' ')),
    );
  }
  // No flags asks for nothing the Worker ignores.
  const mgr = new LoopManager({ execArgv: [] }).start();
  try {
    assert.equal(mgr.submitTask(tasks.echo('ok'), { returnSyncFuture: true }).result(10000), 'ok');
  } finally {
    await mgr.stop();
  }
});
