// sideloop/synckit: synckit's createSyncFn and runAsWorker, with unchanged synckit worker files, on real loop threads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createSyncFn, runAsWorker, TsRunner, compareNodeVersion } from 'sideloop/synckit';
import { INTERLEAVED_WRITES, fixturePath, recordOutput, runScript, runtime } from './helpers.mjs';

const worker = (name) => fixturePath(`synckit/${name}`);

test('createSyncFn: ESM and CommonJS workers, one function per path, in every form synckit takes', () => {
  const esm = createSyncFn(worker('worker.mjs'));
  assert.equal(esm(1, 0), 1);
  assert.equal(esm(5, 1), 5);
  assert.equal(createSyncFn(worker('worker.mjs')), esm, 'the same path gives the same function');
  assert.equal(createSyncFn(pathToFileURL(worker('worker.mjs'))), esm, 'a file URL');
  assert.equal(createSyncFn(pathToFileURL(worker('worker.mjs')).href), esm, 'a file URL string');
  const cjs = createSyncFn(worker('worker.cjs'));
  assert.notEqual(cjs, esm);
  assert.equal(cjs('value'), 'value');
  assert.throws(() => createSyncFn('./fake'), { message: '`workerPath` must be absolute' });
  assert.throws(() => createSyncFn(new URL('https://example.com')), /The URL must be of scheme file/);
});

test('createSyncFn: errors keep their class, message and properties; non-errors are thrown as they are', () => {
  const fn = createSyncFn(worker('worker.cjs'));
  assert.throws(
    () => fn('error'),
    (err) => err instanceof TypeError && err.message === 'Worker Error' && err.code === 'E_WORKER' && err.details.line === 3,
  );
  assert.throws(() => fn('string'), (thrown) => thrown === 'a thrown string');
  assert.equal(fn('after errors'), 'after errors');
  const silent = createSyncFn(worker('no-run-as-worker.mjs'));
  assert.throws(() => silent(), /did not call runAsWorker/);
});

/** The same worker file under a path of its own: synckit caches functions by path, options included. */
const again = (name, n) => `${fixturePath('synckit')}/${'./'.repeat(n)}${name}`;

test('timeout: the call throws synckit\'s message, and a timed-out call never answers a later one', async () => {
  const slow = createSyncFn(again('worker.mjs', 1), 300);
  // Warm up: a timeout counts from the call, so the first one includes the loop's boot and the module's load.
  for (let tries = 0; ; tries++) {
    try {
      assert.equal(slow(1, 0), 1);
      break;
    } catch (err) {
      if (err.name !== 'TimeoutError' || tries === 20) throw err;
    }
  }
  assert.throws(() => slow(2, 1000), (err) => err.name === 'TimeoutError' && err.message.startsWith('Internal error: Atomics.wait() failed: timed-out'));
  // Right away, and again after the timed-out task would have finished.
  assert.equal(slow(3, 0), 3);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(slow(4, 0), 4);
  assert.equal(slow(5, 1), 5);
});

test('timeout from SYNCKIT_TIMEOUT, read when the function is made', () => {
  process.env.SYNCKIT_TIMEOUT = '1';
  let fn;
  try {
    fn = createSyncFn(again('worker.mjs', 2));
  } finally {
    delete process.env.SYNCKIT_TIMEOUT;
  }
  assert.throws(() => fn(1, 200), /Atomics.wait\(\) failed: timed-out/);
});

test('a value that cannot travel is named in the caller\'s own arguments and worker file, not sideloop\'s runner', () => {
  const fn = createSyncFn(worker('worker.mjs'));
  assert.throws(
    () => fn({ user: { callback() {} } }, 0),
    (err) =>
      err.name === 'TaskSerializationError' &&
      err.path === '[0].user.callback' &&
      err.message.includes(`the synckit worker ${worker('worker.mjs')}`) &&
      !/compat-runner|synckitCall/.test(err.message),
  );
  assert.equal(fn('still fine', 0), 'still fine');
});

test('timeout values as synckit reads them (Atomics.wait): a string of digits is a number, NaN none, a negative one times out at once', () => {
  // Each used to throw a RangeError or TypeError naming "timeoutMs", an option synckit does not have, at every call.
  assert.equal(createSyncFn(again('worker.mjs', 3), { timeout: '20000' })(1, 0), 1);
  assert.equal(createSyncFn(again('worker.mjs', 4), { timeout: NaN })(2, 20), 2);
  const negative = createSyncFn(again('worker.mjs', 5), { timeout: -1 });
  assert.throws(() => negative(3, 0), (err) => err.name === 'TimeoutError' && /Atomics.wait\(\) failed: timed-out/.test(err.message));
  process.env.SYNCKIT_TIMEOUT = '5s';
  let fromEnv;
  try {
    fromEnv = createSyncFn(again('worker.mjs', 6));
  } finally {
    delete process.env.SYNCKIT_TIMEOUT;
  }
  assert.equal(fromEnv(4, 20), 4, 'SYNCKIT_TIMEOUT=5s reads as NaN: no timeout');
});

test('stdout and stderr writes of the worker are replayed in the caller, in order, before the call returns', () => {
  const probe = createSyncFn(worker('probe.mjs'));
  const { value, written } = recordOutput(() => probe('write'));
  assert.equal(value, 'written');
  assert.deepEqual(written, INTERLEAVED_WRITES);
  const failed = recordOutput(() => assert.throws(() => probe('write-then-throw'), /after the output/));
  assert.deepEqual(failed.written, [['stdout', 'before the error\n']]);
});

test('options: execArgv, globalShims, transferList', () => {
  if (runtime !== 'node') {
    // Bun's and Deno's Workers ignore execArgv: refused rather than dropped without a word.
    assert.throws(() => createSyncFn(again('probe.mjs', 1), { execArgv: ['--no-warnings'] }), { name: 'UnsupportedRuntimeError', message: /--no-warnings/ });
  } else {
    const flags = createSyncFn(again('probe.mjs', 1), { execArgv: ['--no-warnings'] })('execArgv');
    assert.ok(flags.includes('--no-warnings'), `the worker's flags: ${flags}`);
  }
  const shimmed = createSyncFn(again('probe.mjs', 2), {
    globalShims: [
      { moduleName: fixturePath('synckit/shim.mjs'), globalName: 'sideloopShimmed' },
      { moduleName: fixturePath('synckit/shim.mjs'), globalName: 'sideloopNamed', named: 'named' },
      { moduleName: 'a-module-that-is-not-installed', globalName: 'nothing' },
    ],
  });
  assert.equal(shimmed('global', 'sideloopShimmed'), 'shimmed value');
  assert.equal(shimmed('global', 'sideloopNamed'), 'named value');
  assert.equal(shimmed('global', 'nothing'), undefined);
  const buffer = new ArrayBuffer(8);
  createSyncFn(again('probe.mjs', 3), { transferList: [buffer] });
  assert.equal(buffer.byteLength, 0, 'moved away, as synckit does');
});

test('runAsWorker outside a sideloop/synckit loop does nothing', () => {
  assert.equal(runAsWorker(() => 1), undefined);
});

test('TypeScript workers: tsx, a .js path that names a .ts file, unknown runners', () => {
  const ts = createSyncFn(worker('worker-ts.ts'), { tsRunner: TsRunner.TSX });
  assert.equal(ts(1), 2);
  assert.equal(createSyncFn(worker('worker-js-as-ts.js'), { tsRunner: TsRunner.TSX })(), 'the .ts file');
  assert.throws(() => createSyncFn(again('worker-ts.ts', 1), { tsRunner: 'unknown' }), { message: 'Unknown ts runner: unknown' });
});

test('TypeScript workers under Node\'s type stripping', { skip: compareNodeVersion('22.6') < 0 && 'Node < 22.6 has no type stripping' }, () => {
  const ts = createSyncFn(again('worker-ts.ts', 2), { tsRunner: TsRunner.Node });
  assert.equal(ts(41), 42);
});

test('a script that makes a synckit call exits by itself', async () => {
  const { code, stdout, stderr } = await runScript(`
    import { createSyncFn } from ${JSON.stringify(new URL('../dist/synckit.js', import.meta.url).href)};
    const fn = createSyncFn(${JSON.stringify(worker('worker.mjs'))});
    console.log(fn('done', 1));
  `);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  assert.equal(stdout, 'done\n');
});
