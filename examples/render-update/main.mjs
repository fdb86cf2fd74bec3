// Separate render and update loops: two async domains that must not share an event loop, each
// protected by a task type so one domain's task cannot run in the other's loop. Synchronous
// code (a frame callback, a sync template API) blocks on rendering while updates keep running.
import { defineTasks, getOrCreateLoopManager, UnknownAsyncTaskError } from 'sideloop';

const render = defineTasks(new URL('./render-tasks.mjs', import.meta.url), { taskType: 'render' });
const updates = defineTasks(new URL('./update-tasks.mjs', import.meta.url), { taskType: 'update' });

const rendering = getOrCreateLoopManager({ id: 'rendering' }).start({ taskType: 'render' });
const updating = getOrCreateLoopManager({ id: 'updating' }).start({ taskType: 'update' });

// The update loop long-polls in the background (awaited, not blocked on).
const polling = updating.submitTask(updates.poll(5));

// Three frames, each synchronous: take a snapshot from the update loop, render it in the render loop.
const sync = { returnSyncFuture: true };
for (let frame = 1; frame <= 3; frame++) {
  const state = updating.submitTask(updates.snapshot(), sync).result();
  const html = rendering.submitTask(render.page(state), sync).result();
  console.log(`frame ${frame}: rendered ${html.length} chars of markup`);
}
console.log(`update loop still polling while frames rendered: ${!polling.done()}`);

// Protection: a task of the wrong domain is refused at once, before it reaches a loop.
for (const [loop, task] of [[rendering, updates.snapshot()], [updating, render.page({ version: 0, items: [] })]]) {
  try {
    loop.submitTask(task);
  } catch (err) {
    if (!(err instanceof UnknownAsyncTaskError)) throw err;
    console.log(`refused: ${task.label.split(' of ')[0]} (type ${err.givenType}) on loop '${loop.id}' (type ${err.expectedType})`);
  }
}

polling.cancel(); // the poll sees currentSignal() abort and ends
await polling.catch((err) => console.log(`poll ended: ${err.name}`));
console.log(`render loop: ${rendering.stats().completed} tasks, update loop: ${updating.stats().completed} tasks`);
await Promise.all([rendering.stop(), updating.stop()]);
console.log('both loops stopped');
