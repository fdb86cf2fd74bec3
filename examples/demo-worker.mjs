// A worker thread spawned by the demo. It creates no loop of its own: it finds the main
// thread's `rendering` loop through its lineage and blocks on it from synchronous code.
import { getOrCreateLoopManager, defineTasks } from '../dist/index.js';
import { threadId } from 'node:worker_threads';

const renderTasks = defineTasks(new URL('./demo-tasks.mjs', import.meta.url), { taskType: 'render' });

// strictlyGet: resolve through this thread, then its parent (main); never create.
const rendering = getOrCreateLoopManager({ id: 'rendering', strictlyGet: true });
const page = rendering.submitTask(renderTasks.renderPage(`From worker ${threadId}`, ['inherited']), { returnSyncFuture: true }).result(5000);

console.log(`worker thread ${threadId} resolved 'rendering' owned by thread ${rendering.ownerThreadId}; its task ran on loop thread ${page.renderedOnThread}:`);
console.log(`  ${page.html}`);
try {
  await rendering.stop();
} catch (err) {
  console.log(`  and it may use the loop but not stop it: ${err.name}`);
}
