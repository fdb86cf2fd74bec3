// One hostile task, run in a child process by hostile.test.mjs:  node hostile-case.mjs <case>
// Bystander tasks run beside it on the same loop (and on another loop); the hostile task may
// only affect its own future (or, for what no loop survives, its own loop, which
// stop({ timeoutMs }) ends). Prints one JSON line: { failures, figures }.
import { LoopManager, defineTasks, inlineTask } from '../../dist/index.js';
import { tasksUrl } from './common.mjs';

const name = process.argv[2];
const tasks = defineTasks(new URL(tasksUrl));
const failures = [];
const figures = { case: name };
const check = (ok, what) => {
  if (!ok) failures.push(what);
};
/** How `p` settles (a function is called first: a submit may throw), or { hung } after `ms`. */
const outcome = (p, ms = 20000) => {
  if (typeof p === 'function') {
    try {
      p = p();
    } catch (error) {
      return Promise.resolve({ error });
    }
  }
  return Promise.race([
    Promise.resolve(p).then((value) => ({ value }), (error) => ({ error })),
    new Promise((r) => setTimeout(() => r({ hung: true }), ms).unref()),
  ]);
};

// What a task throws, per case: each must reject only its own future.
const throwers = {
  'stack getter throws': () => { const e = new Error('x'); Object.defineProperty(e, 'stack', { get() { throw new Error('stack getter'); } }); throw e; },
  'message getter throws': () => { const e = new Error('x'); Object.defineProperty(e, 'message', { get() { throw new Error('message getter'); } }); throw e; },
  'cause getter throws': () => { const e = new Error('x'); Object.defineProperty(e, 'cause', { get() { throw new Error('cause getter'); } }); throw e; },
  'code getter throws': () => { const e = new Error('x'); Object.defineProperty(e, 'code', { get() { throw new Error('code getter'); }, enumerable: true }); throw e; },
  'function name': () => { const e = new Error('x'); e.name = () => 1; throw e; },
  'symbol name': () => { const e = new Error('x'); e.name = Symbol('n'); throw e; },
  'self-referencing AggregateError': () => { const e = new AggregateError([], 'agg'); e.errors.push(e); e.cause = e; throw e; },
  'hostile Proxy': () => { throw new Proxy(new Error('p'), { get() { throw new Error('proxy trap'); }, getPrototypeOf() { throw new Error('proxy proto'); }, ownKeys() { throw new Error('proxy keys'); } }); },
  'throwing toString': () => { throw { toString() { throw new Error('toString'); }, [Symbol.toPrimitive]() { throw new Error('toPrimitive'); } }; },
  'AggregateError sharing children (19 levels)': () => {
    let level = [new Error('leaf')];
    for (let i = 0; i < 19; i++) { const e = new AggregateError(level, `level ${i}`); level = [e, e]; }
    throw level[0];
  },
};

/** Each case: run the hostile task on `loop`; return a problem string, or nothing. */
const cases = {
  async 'never settles'(loop) {
    const f = loop.submitTask(inlineTask(() => new Promise(() => {})), { timeoutMs: 200 });
    const o = await outcome(f);
    check(o.error?.name === 'TimeoutError', `never-settling task with timeoutMs: ${o.hung ? 'hung' : o.error?.name ?? 'value'}`);
    const g = loop.submitTask(inlineTask(() => new Promise(() => {})));
    setTimeout(() => g.cancel(), 50);
    const p = await outcome(g);
    check(p.error?.name === 'CancelledError', `never-settling task cancelled: ${p.hung ? 'hung' : p.error?.name ?? 'value'}`);
    return { stopLoop: true };
  },
  async 'spins forever'(loop, bystanders) {
    loop.submitTask(inlineTask(() => { for (;;); })).catch(() => {});
    const t0 = Date.now();
    await loop.stop({ timeoutMs: 500 });
    figures.stopMs = Date.now() - t0;
    check(!loop.isRunning, 'stop({ timeoutMs }) ended a spinning loop');
    bystanders.sameLoopEnds = true; // they die with the loop they shared
    return {};
  },
  async 'floods microtasks (bounded)'(loop) {
    const f = loop.submitTask(inlineTask(async () => { let n = 0; for (let i = 0; i < 2000000; i++) await null, n++; return n; }));
    const o = await outcome(f, 60000);
    check(o.value === 2000000, `bounded microtask flood: ${JSON.stringify(o.error?.message ?? o.value ?? 'hung')}`);
    return { stopLoop: true };
  },
  async 'floods microtasks (forever)'(loop, bystanders) {
    loop.submitTask(inlineTask(() => { const again = () => Promise.resolve().then(again); again(); return 'flooding'; })).catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await loop.stop({ timeoutMs: 500 });
    figures.stopMs = Date.now() - t0;
    check(!loop.isRunning, 'stop({ timeoutMs }) ended a loop flooded with microtasks');
    bystanders.sameLoopEnds = true;
    return {};
  },
  async 'huge result (64 MiB string)'(loop) {
    const o = await outcome(loop.submitTask(inlineTask(() => 'x'.repeat(64 * 1024 * 1024))), 60000);
    check(o.value?.length === 64 * 1024 * 1024, `huge result: ${o.hung ? 'hung' : o.error?.name ?? o.value?.length}`);
    return { stopLoop: true };
  },
  async 'deep result (2,000 levels)'(loop) {
    return deep(loop, 2000);
  },
  async 'deep result (3,000 levels, over the side channel)'(loop) {
    return deep(loop, 3000);
  },
};
for (const [what, thrower] of Object.entries(throwers)) {
  cases[`throws: ${what}`] = async (loop) => {
    const t0 = Date.now();
    const o = await outcome(loop.submitTask(inlineTask(thrower)));
    figures.settleMs = Date.now() - t0;
    check(!o.hung && 'error' in o, `hostile throw: ${o.hung ? 'hung' : 'resolved'}`);
    check(o.error?.name !== 'LoopCrashedError', `hostile throw crashed the loop: ${o.error?.message}`);
    const b = await outcome(() => loop.submitTask(tasks.echo('after')), 5000);
    check(b.value === 'after', 'the loop answers after the hostile throw');
    return { stopLoop: true };
  };
}

async function deep(loop, depth) {
  // Nested arrays, padded at 3,000 levels so the result is too big for the ring and takes the side channel.
  const make = () => inlineTask((depth, pad) => { let v = pad; for (let i = 0; i < depth; i++) v = [v]; return v; }, depth, depth >= 3000 ? 'p'.repeat(20000) : 'p');
  const depthOf = (v) => { let d = 0; while (Array.isArray(v)) { v = v[0]; d++; } return d; };
  // The value, or TaskSerializationError for this future alone; never a hang, a crash, or an error thrown elsewhere.
  const judge = (o, how) => {
    if (o.hung) return failures.push(`deep result, ${how}: never settled`);
    if ('value' in o) return check(depthOf(o.value) === depth, `deep result, ${how}: depth ${depthOf(o.value)}`);
    check(o.error?.name === 'TaskSerializationError', `deep result, ${how}: ${o.error?.name}: ${o.error?.message}`);
  };
  judge(await outcome(() => loop.submitTask(make())), 'awaited');
  let blocked;
  try {
    blocked = { value: loop.submitTask(make(), { returnSyncFuture: true }).result(20000) };
  } catch (error) {
    blocked = error?.name === 'TimeoutError' ? { hung: true } : { error };
  }
  judge(blocked, 'blocked');
  const b = await outcome(() => loop.submitTask(tasks.echo('after')), 5000);
  check(b.value === 'after', 'the lane answers after a deep result');
  return { stopLoop: true };
}

const loop = new LoopManager({ name: 'hostile' }).start();
const other = new LoopManager({ name: 'bystander' }).start();
await loop.submitTask(tasks.echo('warm'));
await other.submitTask(tasks.echo('warm'));
// Bystanders: tasks in flight on the same loop and on another loop while the hostile task runs.
const bystanders = { sameLoopEnds: false };
// Outcomes are taken at once: a bystander's rejection is never left unhandled.
const same = Array.from({ length: 20 }, (_, i) => outcome(loop.submitTask(tasks.sleep(300, i)), 60000));
const elsewhere = Array.from({ length: 20 }, (_, i) => outcome(other.submitTask(tasks.sleep(300, i)), 60000));
const { stopLoop } = await cases[name](loop, bystanders);
const sameOutcomes = await Promise.all(same);
const otherOutcomes = await Promise.all(elsewhere);
if (!bystanders.sameLoopEnds) {
  const bad = sameOutcomes.filter((o, i) => o.value !== i);
  check(bad.length === 0, `${bad.length} bystanders on the same loop did not get their values: ${JSON.stringify(bad[0]?.error?.message ?? bad[0])}`);
} else {
  check(sameOutcomes.every((o) => !o.hung), 'bystanders on the ended loop settled');
}
const badOther = otherOutcomes.filter((o, i) => o.value !== i);
check(badOther.length === 0, `${badOther.length} bystanders on another loop did not get their values`);
check((await outcome(() => other.submitTask(tasks.echo('ok')), 5000)).value === 'ok', 'the other loop answers');
if (stopLoop) await loop.stop({ timeoutMs: 2000 });
await other.stop();
console.log(JSON.stringify({ failures, figures }));
process.exit(0);
