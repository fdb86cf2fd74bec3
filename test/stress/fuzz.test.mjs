// Fuzz: a seeded generator makes 10,000 random API calls (CI: 3,000) with random, mostly
// invalid, arguments and options. Each call returns or throws a documented error (TypeError,
// RangeError or a SideloopError); nothing hangs, nothing is thrown uncaught, and every future
// it made settles. A failure prints its seed: SIDELOOP_STRESS_SEED=<seed> replays it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sideloop from '../../dist/index.js';
import { bySize, random, seedFromEnv, tasksUrl } from './common.mjs';

const { LoopManager, SideloopError, defineTasks, getOrCreateLoopManager, inlineTask, task } = sideloop;
const CALLS = bySize(10000, 3000);
const MAX_RUNNING = 3;
/** What a hostile argument's own getter throws: it may propagate as it is, like any caller's error. */
class ArgumentsOwnError extends Error {}

test(`fuzz: ${CALLS} random API calls, mostly invalid`, { timeout: 600000 }, async () => {
  const seed = seedFromEnv();
  console.log(`# fuzz seed ${seed} (replay: SIDELOOP_STRESS_SEED=${seed})`);
  const rng = random(seed);
  const problems = [];
  const uncaught = (err) => problems.push(`uncaught: ${err?.stack ?? err}`);
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', uncaught);
  const tasks = defineTasks(new URL(tasksUrl));
  const managers = [];
  const futures = [];
  const counts = { calls: 0, returned: 0, threwDocumented: 0 };

  // ---- random values: mostly wrong, sometimes right ----
  const weird = () =>
    rng.pick([
      undefined, null, 0, -1, 1.5, Number.NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, '', 'x', 'a'.repeat(300), true, false,
      {}, [], [1, 'a'], Symbol('s'), () => 1, 10n, new Date(0), /re/, new Map(), Object.create(null),
      new Proxy({}, { get: () => { throw new ArgumentsOwnError('hostile getter'); } }), new SharedArrayBuffer(8), new ArrayBuffer(8),
    ]);
  const optionNames = ['id', 'name', 'resourceLimits', 'execArgv', 'env', 'taskType', 'cancelPending', 'timeoutMs', 'returnSyncFuture', 'signal', 'transfer', 'forceCreate', 'strictlyGet', 'bogus'];
  const goodValue = (name) =>
    ({
      id: rng.pick(['f1', 'f2', 7]), name: 'fuzz', resourceLimits: { maxOldGenerationSizeMb: 64 }, execArgv: [], env: { FUZZ: '1' },
      taskType: rng.pick(['t', 'u']), cancelPending: rng.chance(0.5), timeoutMs: rng.pick([0, 5, 100, 5000]),
      returnSyncFuture: rng.chance(0.5), signal: AbortSignal.timeout(rng.int(20)), transfer: [], forceCreate: rng.chance(0.3), strictlyGet: rng.chance(0.3),
    })[name];
  const options = () => {
    if (rng.chance(0.15)) return weird();
    const o = {};
    const n = rng.int(4);
    for (let i = 0; i < n; i++) {
      const name = rng.pick(optionNames);
      o[name] = rng.chance(0.5) ? goodValue(name) : weird();
    }
    return o;
  };
  const someTask = () =>
    rng.pick([
      () => tasks.echo(rng.chance(0.7) ? rng.int(100) : weird()),
      () => tasks.add(rng.int(5), rng.chance(0.8) ? rng.int(5) : weird()),
      () => tasks.sleep(rng.int(20)),
      () => tasks.throwRich(),
      () => inlineTask((x) => x * 2, rng.int(10)),
      () => inlineTask(rng.chance(0.5) ? weird() : async () => { throw new TypeError('inline'); }),
      () => task(rng.chance(0.5) ? weird() : tasksUrl, rng.chance(0.5) ? weird() : 'echo', 1),
      () => task(new URL('./no-such-module.mjs', tasksUrl), 'x'),
      () => tasks.notAFunction(),
      () => weird(),
    ])();
  const documented = (err) => err instanceof SideloopError || err instanceof TypeError || err instanceof RangeError || err instanceof ArgumentsOwnError;
  // A future may reject with anything its task threw; a lifecycle promise only with a documented error.
  const keepFuture = (f) => futures.push(Promise.resolve(f).then(() => {}, () => {}));
  const keepLifecycle = (p, what) =>
    futures.push(p.then(() => {}, (err) => { if (!documented(err)) problems.push(`${what} rejected with an undocumented ${err?.name}: ${err?.message}`); }));
  const aManager = () => (managers.length > 0 && rng.chance(0.9) ? rng.pick(managers) : undefined);
  const running = () => managers.filter((m) => m.isRunning && m.ownerThreadId === 0).length;

  // ---- the calls ----
  const actions = [
    () => {
      if (managers.length >= 8) return;
      managers.push(new LoopManager(options()));
    },
    () => {
      const m = getOrCreateLoopManager(options());
      if (!managers.includes(m) && managers.length < 8) managers.push(m);
    },
    () => {
      const m = aManager();
      if (m && running() < MAX_RUNNING) m.start(rng.chance(0.8) ? (rng.chance(0.5) ? undefined : { taskType: rng.pick(['t', 'u']) }) : options());
    },
    () => {
      const m = aManager();
      if (m) keepLifecycle(m.stop(rng.chance(0.3) ? options() : { cancelPending: rng.chance(0.5), timeoutMs: 2000 }), 'stop()');
    },
    () => {
      const m = aManager();
      if (!m) return;
      const f = m.submitTask(someTask(), rng.chance(0.6) ? (rng.chance(0.5) ? undefined : { returnSyncFuture: rng.chance(0.5), timeoutMs: rng.pick([undefined, 0, 10, 1000]) }) : options());
      keepFuture(f);
      const r = rng.next();
      if (r < 0.1) f.cancel();
      else if (r < 0.2 && typeof f.result === 'function') {
        try {
          f.result(rng.chance(0.5) ? rng.pick([0, 1, 50, 3000]) : weird());
        } catch (err) {
          if (!documented(err) && !f.done()) throw err;
        }
      } else if (r < 0.25 && typeof f.exception === 'function') {
        if (f.done()) f.exception();
      }
    },
    () => aManager()?.getEventLoop(),
    () => aManager()?.stats(),
    () => {
      const m = aManager();
      if (m) void m.state, m.isRunning, m.taskType;
    },
    () => LoopManager.registry(),
    () => LoopManager.allInstances(),
    () => {
      const m = aManager();
      if (m && rng.chance(0.3)) {
        managers.splice(managers.indexOf(m), 1);
        keepLifecycle(m[Symbol.asyncDispose](), 'dispose');
      }
    },
    () => defineTasks(rng.chance(0.5) ? weird() : tasksUrl, rng.chance(0.5) ? options() : undefined),
    () => sideloop.currentSignal(),
    () => new sideloop.UnknownAsyncTaskError(weird(), weird()),
  ];

  for (let i = 0; i < CALLS; i++) {
    counts.calls++;
    const action = rng.pick(actions);
    try {
      action();
      counts.returned++;
    } catch (err) {
      if (documented(err)) counts.threwDocumented++;
      else problems.push(`call ${i} (${action.toString().slice(0, 80).replace(/\s+/g, ' ')}) threw an undocumented ${err?.name}: ${err?.message}`);
    }
    // Let the event loop turn now and then, as a real program does.
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    if (problems.length > 20) break;
  }

  // Every future settles once its loop stops.
  for (const m of managers) if (m.ownerThreadId === 0) keepLifecycle(m[Symbol.asyncDispose](), 'dispose at the end');
  let unsettled = 0;
  await Promise.all(
    futures.map((f) =>
      Promise.race([
        f,
        new Promise((r) => setTimeout(() => { unsettled++; r(); }, 30000).unref()),
      ]),
    ),
  );
  process.off('uncaughtException', uncaught);
  process.off('unhandledRejection', uncaught);
  console.log(`# fuzz: ${counts.calls} calls, ${counts.returned} returned, ${counts.threwDocumented} threw documented errors, ${futures.length} futures`);
  assert.equal(unsettled, 0, `seed ${seed}: ${unsettled} futures never settled`);
  assert.deepEqual(problems, [], `seed ${seed}`);
});
