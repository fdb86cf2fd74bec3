// sideloop/make-synchronized: make-synchronized's API, on real loop threads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import makeSynchronizedDefault, {
  makeDefaultExportSynchronized,
  makeInlineFunctionSynchronized,
  makeModuleSynchronized,
  makeSynchronized,
} from 'sideloop/make-synchronized';
import { INTERLEAVED_WRITES, fixture, fixturePath, recordOutput, runScript, runtime } from './helpers.mjs';

const mod = (name) => fixture(`make-synchronized/${name}`);


test('makeSynchronized(module): a function proxy when the default export is a function, with the other exports on it', () => {
  assert.equal(makeSynchronizedDefault, makeSynchronized);
  const m = makeSynchronized(mod('named-exports.mjs'));
  assert.equal(typeof m, 'function');
  assert.equal(m('same'), 'same');
  assert.equal(m.double(21), 42);
  assert.equal(m.double, m.double, 'made once');
  assert.equal(m.answer, 42);
  assert.ok(m.when instanceof Date);
  assert.equal(m.config.name, 'plain');
  assert.equal(m.config.self, true, 'a getter runs with its object as this');
  assert.equal(m.config.nested.deep.call(), 'deep called');
  assert.equal(m.notExported, undefined);
});

test('makeSynchronized(module): a Module otherwise; every form of module argument', () => {
  const m = makeSynchronized(mod('values-only.mjs'));
  assert.equal(Object.prototype.toString.call(m), '[object Module]');
  assert.deepEqual(Object.keys(m), ['a', 'later']);
  assert.equal(m.later(), 'later');
  const path = fixturePath('make-synchronized/values-only.mjs');
  assert.equal(makeModuleSynchronized(path).a, 1);
  assert.equal(makeModuleSynchronized({ url: pathToFileURL(path).href }).a, 1);
  assert.equal(makeModuleSynchronized({ filename: path }).a, 1);
  assert.equal(makeModuleSynchronized(pathToFileURL(path).href).a, 1);
  assert.equal(makeModuleSynchronized('node:path').sep, '/');
  assert.equal(makeDefaultExportSynchronized(mod('named-exports.mjs'))(7), 7);
});

test('bad arguments throw at once from makeSynchronized(...), not at the first call', () => {
  const invalid = { name: 'TypeError', message: /^'module' should be/ };
  assert.throws(() => makeSynchronized(undefined), invalid);
  assert.throws(() => makeModuleSynchronized(true), invalid);
  assert.throws(() => makeModuleSynchronized('./relative.js'), invalid);
  // The message is the runtime's own: Deno words it 'Module not found "file:///no/such/module.mjs".'
  const notFound = runtime === 'deno' ? /Module not found/ : /Cannot find module/;
  assert.throws(() => makeSynchronized('/no/such/module.mjs'), { code: 'ERR_MODULE_NOT_FOUND', message: notFound });
  assert.throws(() => makeModuleSynchronized(new URL('file:///no/such/module.mjs')), { code: 'ERR_MODULE_NOT_FOUND' });
  if (runtime === 'deno') {
    // Deno imports https: modules (from the network); a scheme it has no loader for fails the same way.
    assert.throws(() => makeDefaultExportSynchronized('ftp://example.com/x.js'), { code: 'ERR_MODULE_NOT_FOUND', message: /Unsupported scheme "ftp"/ });
  } else {
    assert.throws(() => makeDefaultExportSynchronized('https://example.com/x.js'), { code: 'ERR_UNSUPPORTED_ESM_URL_SCHEME', message: /Received protocol/ });
  }
});

test('a module that synchronizes its own exports: makeSynchronized(import.meta, implementation)', async () => {
  const m = await import(mod('self-synchronized.mjs'));
  assert.equal(m.default('ada'), 'hello ada');
  assert.equal(m.shout('hey'), 'HEY');
  assert.equal(m.twice('ab'), 'abab');
  assert.equal(m.thrice('x'), 'xxx');
});

test('inline functions, given as functions or as source', () => {
  const sleep = makeSynchronized(async (ms) => {
    const { setTimeout } = await import('node:timers/promises');
    await setTimeout(ms);
    return ms;
  });
  assert.equal(sleep(5), 5);
  assert.equal(makeInlineFunctionSynchronized('async (a, b) => a + b')(1, 2), 3);
  assert.equal(makeInlineFunctionSynchronized((x) => Promise.resolve(x))('y'), 'y');
});

test('inline functions share one loop per thread, as the README says (they each made a loop thread of their own)', () => {
  const threadOf = makeSynchronized(async () => (await import('node:worker_threads')).threadId);
  const threadOfToo = makeSynchronized(async () => {
    const { threadId } = await import('node:worker_threads');
    return threadId;
  });
  const sum = makeInlineFunctionSynchronized('async (a, b) => a + b');
  assert.equal(sum(2, 3), 5);
  assert.equal(threadOf(), threadOfToo());
});

test('errors: rejections come back as they were; values that cannot travel fail as make-synchronized says', () => {
  const m = makeModuleSynchronized(mod('named-exports.mjs'));
  assert.throws(() => m.rejectWith('error'), (err) => err instanceof RangeError && err.code === 'E_RANGE' && err.extra[0] === 1);
  for (const value of [false, 0, 0n, '', 'text', undefined, null]) {
    assert.throws(() => m.rejectWith(value), (thrown) => Object.is(thrown, value));
  }
  assert.throws(() => m.rejectWith('symbol'), { name: 'Error', message: /^Cannot serialize worker response:/ });
  assert.throws(() => m.symbolValue, { name: 'Error', message: /^Cannot serialize worker response:/ });
  assert.throws(() => m.default(Symbol('x')), { name: 'DataCloneError', message: /^Cannot serialize request data:/ });
  // The cause names the user's module and a path in the user's arguments, not sideloop's runner.
  assert.throws(
    () => m.default(1, { user: { callback() {} } }),
    (err) => err.name === 'DataCloneError' && err.cause.path === '[1].user.callback' && /named-exports\.mjs/.test(err.cause.message) && !/compat-runner/.test(err.cause.message),
  );
  assert.throws(() => m.symbolValue, (err) => !/compat-runner|makeSynchronizedCall/.test(err.message) && /module .*named-exports\.mjs/.test(err.message));
  assert.equal(m.default('still fine'), 'still fine');
});

test('stdout and stderr writes are replayed in the caller, in order, one write per write, before the call returns', () => {
  const m = makeModuleSynchronized(mod('named-exports.mjs'));
  const { value, written } = recordOutput(() => m.write());
  assert.equal(value, 'written');
  assert.deepEqual(written, INTERLEAVED_WRITES);
});

test('process.exit in the module ends that call with undefined; the next call starts the module again', () => {
  const m = makeModuleSynchronized(mod('named-exports.mjs'));
  const before = m.pid().thread;
  assert.equal(m.exit(), undefined);
  const after = m.pid().thread;
  assert.notEqual(after, before);
  assert.equal(m.double(2), 4);
});

test('a script that uses make-synchronized exits by itself, its output in order', async () => {
  const { code, stdout, stderr } = await runScript(`
    import makeSynchronized from ${JSON.stringify(new URL('../dist/make-synchronized.js', import.meta.url).href)};
    const m = makeSynchronized(${JSON.stringify(mod('named-exports.mjs').href)});
    console.log('before');
    console.log(m.write());
  `);
  assert.equal(code, 0);
  assert.equal(stdout, 'before\nout 1\nout 3\nwritten\n');
  assert.equal(stderr, 'err 2\nerr 4\n');
});
