import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threadId } from 'node:worker_threads';
import {
  DEFAULT_LOOP_ID,
  LoopCrashedError,
  LoopManager,
  ManagerNotFound,
  getOrCreateLoopManager,
  inlineTask,
} from '../dist/index.js';
import { eventually, fixture, inWorker, startSignal, tasks, waitForCount } from './helpers.mjs';

test('a three-level thread tree resolves the managers of every ancestor, including one made after the child was spawned', { timeout: 30000 }, async () => {
  const top = getOrCreateLoopManager({ id: 'tree-top' }).start();
  // Word 0: the grandchild is running; word 1: the main thread has made 'tree-late'.
  const gate = new SharedArrayBuffer(8);
  try {
    const childRun = inWorker(`
      const middle = getOrCreateLoopManager({ id: 'tree-middle' }).start();
      const resolvedTop = getOrCreateLoopManager({ id: 'tree-top', strictlyGet: true });
      const fromGrandchild = await spawn(\`
        // Made by the main thread after this worker's parent was spawned: say we run, wait for it.
        const gate = new Int32Array(data.gate);
        Atomics.store(gate, 0, 1);
        Atomics.notify(gate, 0);
        if (Atomics.wait(gate, 1, 0, 20000) === 'timed-out') throw new Error('tree-late was never made');
        const late = getOrCreateLoopManager({ id: 'tree-late', strictlyGet: true });
        const topMgr = getOrCreateLoopManager({ id: 'tree-top', strictlyGet: true });
        const midMgr = getOrCreateLoopManager({ id: 'tree-middle', strictlyGet: true });
        return {
          me: threadId,
          top: [topMgr.ownerThreadId, topMgr.submitTask(tasks.add(1, 1), { returnSyncFuture: true }).result()],
          middle: [midMgr.ownerThreadId, await midMgr.submitTask(tasks.add(2, 2))],
          late: [late.ownerThreadId, late.submitTask(tasks.add(3, 3), { returnSyncFuture: true }).result()],
        };
      \`, data);
      await middle.stop();
      return { me: threadId, topOwner: resolvedTop.ownerThreadId, fromGrandchild };
    `, { gate });
    // The late manager is made only now, once both workers exist.
    const words = new Int32Array(gate);
    assert.ok(await waitForCount(words, 0, 1), 'the grandchild started');
    const late = getOrCreateLoopManager({ id: 'tree-late' }).start();
    Atomics.store(words, 1, 1);
    Atomics.notify(words, 1);
    const child = await childRun;
    await late.stop();
    assert.equal(child.topOwner, threadId);
    const g = child.fromGrandchild;
    assert.notEqual(g.me, child.me);
    assert.deepEqual(g.top, [threadId, 2]);
    assert.deepEqual(g.middle, [child.me, 4]);
    assert.deepEqual(g.late, [threadId, 6]);
  } finally {
    await top.stop();
  }
});

test('forceCreate isolates a thread from its ancestors; strictlyGet throws ManagerNotFound naming the id and threads', { timeout: 30000 }, async () => {
  const shared = getOrCreateLoopManager({ id: 'iso' }).start();
  try {
    const result = await inWorker(`
      const inherited = getOrCreateLoopManager({ id: 'iso' });
      const own = getOrCreateLoopManager({ id: 'iso', forceCreate: true }).start();
      const again = getOrCreateLoopManager({ id: 'iso' });
      const out = {
        inheritedOwner: inherited.ownerThreadId,
        ownOwner: own.ownerThreadId,
        againIsOwn: again === own,
        ranOn: own.submitTask(tasks.whereAmI(), { returnSyncFuture: true }).result() !== threadId,
      };
      try { getOrCreateLoopManager({ id: 'nowhere', strictlyGet: true }); }
      catch (e) { out.notFound = { name: e.name, code: e.code, message: e.message, threads: e.threadsSearched }; }
      await own.stop();
      return out;
    `);
    assert.equal(result.inheritedOwner, threadId);
    assert.notEqual(result.ownOwner, threadId);
    assert.equal(result.againIsOwn, true);
    assert.equal(result.notFound.name, 'ManagerNotFound');
    assert.match(result.notFound.message, /"nowhere"/);
    assert.deepEqual(result.notFound.threads, [result.ownOwner, threadId]);
    assert.equal(getOrCreateLoopManager({ id: 'iso' }), shared, 'the main thread still has its own');
  } finally {
    await shared.stop();
  }
  assert.throws(() => getOrCreateLoopManager({ id: 'missing-here', strictlyGet: true }), (err) =>
    err instanceof ManagerNotFound && err.id === 'missing-here' && err.threadsSearched.includes(threadId),
  );
});

test('sibling threads with the same id get independent managers', { timeout: 30000 }, async () => {
  const body = `
    const mgr = getOrCreateLoopManager({ id: 'sibling' }).start();
    const value = mgr.submitTask(tasks.echo(data.tag), { returnSyncFuture: true }).result();
    const snapshot = LoopManager.registry();
    // Barrier: both siblings have registered before either looks for the other.
    const count = new Int32Array(data.barrier);
    Atomics.add(count, 0, 1);
    Atomics.notify(count, 0);
    for (let n; (n = Atomics.load(count, 0)) < 2; ) Atomics.wait(count, 0, n, 10000);
    const seen = [...LoopManager.registry()].filter(([, ids]) => ids.has('sibling')).map(([t]) => t);
    await mgr.stop();
    return { me: threadId, value, seen, mineListed: snapshot.get(threadId)?.get('sibling')?.ownerThreadId };
  `;
  const barrier = new SharedArrayBuffer(4);
  const [a, b] = await Promise.all([inWorker(body, { tag: 'a', barrier }), inWorker(body, { tag: 'b', barrier })]);
  assert.notEqual(a.me, b.me);
  assert.equal(a.value, 'a');
  assert.equal(b.value, 'b');
  assert.equal(a.mineListed, a.me);
  assert.ok(a.seen.includes(a.me) && a.seen.includes(b.me), 'each registry snapshot shows both threads');
  // The workers answer just before they exit; their entries go when the exit runs.
  const gone = () => !LoopManager.registry().has(a.me) && !LoopManager.registry().has(b.me);
  assert.ok(await eventually(gone), 'entries go away when their threads exit');
});

test('a child submits to its parent\'s loop while the parent is blocked in result()', { timeout: 30000 }, async () => {
  const mgr = getOrCreateLoopManager({ id: 'blocked-owner' }).start();
  try {
    await mgr.submitTask(tasks.echo('warm'));
    const flags = new SharedArrayBuffer(12); // waitForFlag's flag, value and 'waiting' count
    const child = inWorker(
      `
      // The parent's loop runs waitForFlag once the parent has submitted it and blocks on it.
      if (Atomics.wait(new Int32Array(data.flags), 2, 0, 20000) === 'timed-out') throw new Error('the parent never blocked');
      const parentLoop = getOrCreateLoopManager({ id: 'blocked-owner', strictlyGet: true });
      return parentLoop.submitTask(tasks.setFlag(data.flags, 42), { returnSyncFuture: true }).result(5000);
    `,
      { flags },
    );
    // Blocks this thread until the child's task, run by this thread's loop, sets the flag.
    const value = mgr.submitTask(tasks.waitForFlag(flags), { returnSyncFuture: true }).result(10000);
    assert.equal(value, 42);
    assert.equal(await child, mgr.getEventLoop().threadId, 'the child\'s task ran in the parent\'s loop');
  } finally {
    await mgr.stop();
  }
});

test('50 threads resolving and creating managers at once lose and duplicate nothing', { timeout: 60000 }, async () => {
  const common = getOrCreateLoopManager({ id: 'common' });
  const workers = Array.from({ length: 50 }, (_, i) =>
    inWorker(
      `
      const common = getOrCreateLoopManager({ id: 'common' });
      const mine = getOrCreateLoopManager({ id: 'mine' });
      const named = getOrCreateLoopManager({ id: 'worker-' + data.i });
      const snapshot = LoopManager.registry();
      // Stay alive until all 50 have registered, so the main thread can count them.
      const flags = new Int32Array(data.gate);
      Atomics.add(flags, 0, 1);
      Atomics.notify(flags, 0);
      if (Atomics.wait(flags, 1, 0, 40000) === 'timed-out') throw new Error('never released');
      return { me: threadId, commonOwner: common.ownerThreadId, mine: mine.ownerThreadId, named: named.name, sawMine: snapshot.get(threadId)?.size };
    `,
      { i, gate },
    ),
  );
  const counters = new Int32Array(gate);
  assert.ok(await waitForCount(counters, 0, 50, 40000), `${Atomics.load(counters, 0)} of 50 workers registered`);
  const snapshot = LoopManager.registry();
  Atomics.store(counters, 1, 1);
  Atomics.notify(counters, 1);
  const results = await Promise.all(workers);
  const threads = new Set(results.map((r) => r.me));
  assert.equal(threads.size, 50);
  for (const r of results) {
    assert.equal(r.commonOwner, threadId, 'everyone resolved the main thread\'s manager');
    assert.equal(r.mine, r.me);
    assert.equal(r.sawMine, 2);
    const entries = snapshot.get(r.me);
    assert.equal(entries?.size, 2, `thread ${r.me} has exactly its two entries`);
    assert.equal(entries.get('mine').ownerThreadId, r.me);
  }
  assert.equal(snapshot.get(threadId).get('common').ownerThreadId, threadId);
  const gone = () => [...threads].every((t) => !LoopManager.registry().has(t));
  assert.ok(await eventually(gone), 'exited threads leave no entries');
  await common[Symbol.asyncDispose]();
});
const gate = new SharedArrayBuffer(8);

test('a task in a loop resolves another loop through its lineage and uses it; blocking on its own loop is a DeadlockError', { timeout: 30000 }, async () => {
  const front = getOrCreateLoopManager({ id: 'front' }).start();
  const back = getOrCreateLoopManager({ id: 'back' }).start();
  try {
    const through = await front.submitTask(tasks.callThrough('back', 21));
    assert.deepEqual(through.answer, 42);
    assert.equal(through.owner, threadId);
    assert.equal(through.me, front.getEventLoop().threadId);
    assert.deepEqual(await front.submitTask(tasks.blockOn('back')), { value: 'blocked fine' }, 'blocking on another loop is fine');
    assert.deepEqual(await front.submitTask(tasks.blockOn('front')), { error: 'DeadlockError' });
    assert.equal(await front.submitTask(tasks.awaitOwnLoop('front')), 'awaited myself');
  } finally {
    await Promise.all([front.stop(), back.stop()]);
  }
});

test('handles from other threads submit and inspect, but cannot start or stop', { timeout: 30000 }, async () => {
  const mgr = getOrCreateLoopManager({ id: 'handle' }).start({ taskType: 'kind' });
  try {
    await mgr.submitTask(tasks.echo('warm'), { taskType: 'kind' }); // running, not still starting
    const seen = await inWorker(`
      const h = getOrCreateLoopManager({ id: 'handle', strictlyGet: true });
      const out = { state: h.state, isRunning: h.isRunning, taskType: h.taskType, name: h.name, owner: h.ownerThreadId, loopThread: h.getEventLoop().threadId };
      out.value = h.submitTask(tasks.echo('via handle'), { taskType: 'kind', returnSyncFuture: true }).result();
      try { h.submitTask(tasks.echo(1)); } catch (e) { out.typeError = e.name; }
      try { h.start(); } catch (e) { out.start = e.name; }
      try { await h.stop(); } catch (e) { out.stop = e.name; }
      out.stats = h.stats().completed;
      out.listed = LoopManager.allInstances().some((m) => m.name === 'handle' && m.ownerThreadId === 0);
      return out;
    `);
    assert.equal(seen.state, 'running');
    assert.equal(seen.isRunning, true);
    assert.equal(seen.taskType, 'kind');
    assert.equal(seen.owner, threadId);
    assert.equal(seen.loopThread, mgr.getEventLoop().threadId);
    assert.equal(seen.value, 'via handle');
    assert.equal(seen.typeError, 'UnknownAsyncTaskError');
    assert.equal(seen.start, 'NotOwnerError');
    assert.equal(seen.stop, 'NotOwnerError');
    assert.ok(seen.stats >= 1);
    assert.equal(seen.listed, true);
  } finally {
    await mgr.stop();
  }
});

test('a handle copies transferred ArrayBuffers and refuses MessagePorts with a short TaskSerializationError', { timeout: 30000 }, async () => {
  const mgr = getOrCreateLoopManager({ id: 'handle-transfer' }).start();
  try {
    const seen = await inWorker(`
      const h = getOrCreateLoopManager({ id: 'handle-transfer', strictlyGet: true });
      const buf = new Uint8Array([1, 2, 3]).buffer;
      const echoed = await h.submitTask(tasks.echo(buf), { transfer: [buf] });
      const { port1 } = new (await import('node:worker_threads')).MessageChannel();
      let error;
      try { h.submitTask(tasks.echo(port1), { transfer: [port1] }); } catch (e) { error = { name: e.name, path: e.path, message: e.message }; }
      port1.close();
      return { echoed: [...new Uint8Array(echoed)], kept: buf.byteLength, error };
    `);
    assert.deepEqual(seen.echoed, [1, 2, 3]);
    assert.equal(seen.kept, 3, 'the buffer was copied, not detached');
    assert.equal(seen.error?.name, 'TaskSerializationError');
    assert.equal(seen.error.path, '[0]');
    assert.match(seen.error.message, /MessagePort/);
    assert.ok(!seen.error.message.includes('\n'), 'the message is one line, not an inspected object');
  } finally {
    await mgr.stop();
  }
});

test('threads of a pool (piscina) inherit the lineage of the thread that made the pool', { timeout: 30000 }, async () => {
  const { Piscina } = await import('piscina');
  const mgr = getOrCreateLoopManager({ id: 'pooled' }).start();
  const pool = new Piscina({ filename: new URL('./fixtures/pool-task.mjs', import.meta.url).href, minThreads: 2, maxThreads: 2 });
  try {
    const answers = await Promise.all([1, 2, 3, 4].map((i) => pool.run(i)));
    for (const [i, a] of answers.entries()) {
      assert.equal(a.echoed, i + 1);
      assert.equal(a.owner, threadId, 'the pool thread resolved this thread\'s loop');
      assert.notEqual(a.poolThread, threadId);
    }
  } finally {
    await pool.destroy();
    await mgr.stop();
  }
});

test('a worker spawned by a task has the loop thread in its lineage, even when the task never imports sideloop', { timeout: 30000 }, async () => {
  const mgr = new LoopManager({ name: 'spawner' }).start();
  try {
    const seen = await mgr.submitTask(
      inlineTask(async (probeUrl) => {
        const { Worker, threadId } = await import('node:worker_threads');
        // A fixture file, not eval: only Node runs eval'd module workers.
        const worker = new Worker(new URL(probeUrl));
        const searched = await new Promise((resolve, reject) => (worker.once('message', resolve), worker.once('error', reject)));
        return { loopThread: threadId, searched };
      }, fixture('lineage-probe.mjs').href),
    );
    assert.equal(seen.searched[1], seen.loopThread, 'the worker\'s parent is the loop thread');
    assert.ok(seen.searched.includes(threadId), 'and the loop\'s owner is further up');
  } finally {
    await mgr.stop();
  }
});

test('a loop crash wakes a blocked caller in another thread with LoopCrashedError', { timeout: 30000 }, async () => {
  const mgr = getOrCreateLoopManager({ id: 'crashing' }).start();
  await mgr.submitTask(tasks.echo('warm'));
  const started = startSignal();
  const child = inWorker(`
    const h = getOrCreateLoopManager({ id: 'crashing', strictlyGet: true });
    try {
      // Its own timeout: a caller the crash fails to wake gets TimeoutError, not a hang.
      h.submitTask(tasks.sleep(60000, null, data.started), { returnSyncFuture: true }).result(20000);
      return { error: null };
    } catch (e) {
      return { error: e.name, exitCode: e.exitCode };
    }
  `, { started: started.buffer });
  // The child's call has reached the loop, so the child is (about to be) blocked on it.
  assert.ok(await started.reached(), 'the child submitted');
  await assert.rejects(mgr.submitTask(tasks.exitNow(4)), LoopCrashedError);
  const seen = await child;
  assert.equal(seen.error, 'LoopCrashedError');
  assert.equal(seen.exitCode, 4);
});

test('the default id is one fixed key, distinct from any user id', () => {
  const byDefault = getOrCreateLoopManager();
  assert.equal(byDefault.id, DEFAULT_LOOP_ID);
  assert.equal(getOrCreateLoopManager(), byDefault);
  assert.notEqual(getOrCreateLoopManager({ id: 'default' }), byDefault);
  assert.notEqual(getOrCreateLoopManager({ id: String(DEFAULT_LOOP_ID.description) }), byDefault);
  assert.ok(LoopManager.registry().get(threadId).has(DEFAULT_LOOP_ID));
});
