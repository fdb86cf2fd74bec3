// `npm start`: synchronous code blocking on async tasks in named, type-protected loops.
import { LoopManager, defineTasks, UnknownAsyncTaskError } from '../dist/index.js';
import { threadId, Worker } from 'node:worker_threads';
import { once } from 'node:events';

const here = new URL('./demo-tasks.mjs', import.meta.url);
const renderTasks = defineTasks(here, { taskType: 'render' });
const updateTasks = defineTasks(here, { taskType: 'update' });

// Two separate async domains, each in its own thread, each accepting only its own kind of task.
const rendering = new LoopManager({ id: 'rendering', name: 'rendering' }).start({ taskType: 'render' });
const updates = new LoopManager({ id: 'updates', name: 'updates' }).start({ taskType: 'update' });
const general = new LoopManager({ id: 'general', name: 'general' }).start();

console.log(`main thread ${threadId}: three loops running on threads ${[rendering, updates, general].map((m) => m.getEventLoop().threadId).join(', ')}\n`);

// Plain synchronous code: no await anywhere in this function.
function buildDashboardSync() {
  const page = rendering.submitTask(renderTasks.renderPage('Dashboard', ['alpha', 'beta']), { returnSyncFuture: true });
  const news = updates.submitTask(updateTasks.fetchUpdates('09:00'), { returnSyncFuture: true });
  const manifest = general.submitTask(renderTasks.readManifest(), { returnSyncFuture: true });
  return { page: page.result(), news: news.result(5000), manifest: manifest.result() };
}

const started = performance.now();
const dashboard = buildDashboardSync();
console.log('synchronous code got, from three loops at once:');
console.log(`  rendering loop (thread ${dashboard.page.renderedOnThread}):`, dashboard.page.html);
console.log(`  updates loop   (thread ${dashboard.news.fetchedOnThread}):`, dashboard.news.updates.join('; '));
console.log('  general loop:', dashboard.manifest);
console.log(`  in ${(performance.now() - started).toFixed(1)} ms (the tasks ran concurrently)\n`);

// Protection: the rendering loop refuses a task of another type, at once, with a clear error.
try {
  rendering.submitTask(updateTasks.fetchUpdates('10:00'), { returnSyncFuture: true });
} catch (err) {
  console.log(`rejected submission: ${err.name} (${err.code})`);
  console.log(`  ${err.message}`);
  console.log(`  givenType=${err.givenType} expectedType=${err.expectedType} instanceof UnknownAsyncTaskError: ${err instanceof UnknownAsyncTaskError}\n`);
}

// The same loops serve async callers too.
const [page, news] = await Promise.all([
  rendering.submitTask(renderTasks.renderPage('Async', ['gamma'])),
  updates.submitTask(updateTasks.fetchUpdates('11:00')),
]);
console.log('awaited too:', page.html, '|', news.updates[0]);
console.log('stats of the rendering loop:', rendering.stats());

// Lineage: a worker thread spawned here inherits this thread's loops and uses one directly.
const worker = new Worker(new URL('./demo-worker.mjs', import.meta.url));
const [exitCode] = await once(worker, 'exit');
if (exitCode !== 0) throw new Error(`demo worker exited with ${exitCode}`);

await Promise.all([rendering.stop(), updates.stop(), general.stop()]);
console.log('\nall loops stopped.');
