// One request, one thread: synchronous handler code (a legacy sync template, a CPU-bound
// transform) that blocks on the main thread's 'db' loop. The loop is found through lineage: this
// thread was spawned after sideloop was imported in the main thread, so nothing is passed in.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { defineTasks, getOrCreateLoopManager } from 'sideloop';

const db = getOrCreateLoopManager({ id: 'db', strictlyGet: true });
const tasks = defineTasks(new URL('./db-tasks.mjs', import.meta.url));

function handle(path) {
  const match = /^\/users\/(\d+)$/.exec(path);
  if (!match) return { status: 404, body: { error: `no route for ${path}` } };
  const user = db.submitTask(tasks.getUser(Number(match[1])), { returnSyncFuture: true }).result(5000);
  if (user === null) return { status: 404, body: { error: `no user ${match[1]}` } };
  return { status: 200, body: { user, servedBy: threadId, loopOwner: db.ownerThreadId } };
}

parentPort.postMessage(handle(workerData.path));
