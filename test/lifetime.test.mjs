import assert from 'node:assert/strict';
import { test } from 'node:test';
import { distUrl, fixture, onlyOn, runScript } from './helpers.mjs';

const prelude = `
import { LoopManager, defineTasks } from ${JSON.stringify(distUrl)};
const tasks = defineTasks(${JSON.stringify(fixture('tasks.mjs').href)});
`;

test('an idle loop does not keep the process alive', { timeout: 30000 }, async () => {
  const run = await runScript(`${prelude}
    const mgr = new LoopManager().start();
    console.log(mgr.submitTask(tasks.add(1, 2), { returnSyncFuture: true }).result());
    // no stop(): the script simply ends
  `);
  assert.equal(run.signal, null, 'the process ended by itself (runScript kills one still alive after 20 s)');
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), '3');
});

test('a pending future keeps the process alive, so top-level await works', { timeout: 30000 }, async () => {
  const run = await runScript(`${prelude}
    const mgr = new LoopManager().start();
    mgr.submitTask(tasks.sleep(1000, 'then-callback')).then(console.log);
    console.log(await mgr.submitTask(tasks.sleep(200, 'awaited')));
    console.log(await mgr.submitTask(tasks.sleep(100, 'sync-awaited'), { returnSyncFuture: true }));
  `);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n'), ['awaited', 'sync-awaited', 'then-callback']);
});

test('a loop whose task hangs forever does not hold the process once nobody waits', { timeout: 30000 }, async () => {
  const run = await runScript(`${prelude}
    const mgr = new LoopManager().start();
    const f = mgr.submitTask(tasks.waitForAbort(), { returnSyncFuture: true });
    try { f.result(100); } catch (e) { console.log(e.name); }
  `);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'TimeoutError');
});

// Bun and Deno load TypeScript themselves: there the same script runs without tsx.
test('TypeScript task modules load when the parent runs under tsx', { timeout: 60000 }, async () => {
  const run = await runScript(
    `
    import { LoopManager, defineTasks } from ${JSON.stringify(distUrl)};
    const tasks = defineTasks(${JSON.stringify(fixture('tasks.ts').href)});
    const mgr = new LoopManager().start();
    console.log(JSON.stringify(mgr.submitTask(tasks.greet('ts'), { returnSyncFuture: true }).result()));
    await mgr.stop();
  `,
    // Loading through tsx costs seconds of CPU: on a loaded machine, many more of wall time.
    { execArgv: ['--import', 'tsx'], timeoutMs: 50000 },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { text: 'hello, ts', length: 9 });
});

test('loops start in a process run with V8 and process-wide flags, which Workers refuse', { timeout: 60000, skip: onlyOn('node', "about Node's command-line flags") }, async () => {
  const run = await runScript(
    `
    import { LoopManager, defineTasks } from ${JSON.stringify(distUrl)};
    const tasks = defineTasks(${JSON.stringify(fixture('tasks.mjs').href)});
    for (let i = 0; i < 2; i++) { // the second start uses the flags learned by the first
      const mgr = new LoopManager().start();
      console.log(mgr.submitTask(tasks.echo(i), { returnSyncFuture: true }).result(10000));
      await mgr.stop();
    }
    console.log(typeof gc); // the flags still apply to this thread
  `,
    { execArgv: ['--max-old-space-size=512', '--expose-gc', '--stack-size=900', '--title', 'sideloop-test', '--no-warnings'] },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), '0\n1\nfunction');
});
