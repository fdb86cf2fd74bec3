// A thread-per-request HTTP server on loopback: each request runs in a worker thread of its
// own, whose synchronous handler blocks on the 'db' loop the main thread started (inherited
// through lineage). It serves a bounded number of requests it makes to itself, then stops.
// usage: node examples/http-server/main.mjs [requests=8] [threads at once=4]
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';
import { defineTasks, getOrCreateLoopManager } from 'sideloop';

const requests = Number(process.argv[2] ?? 8);
const parallel = Number(process.argv[3] ?? 4);
const db = getOrCreateLoopManager({ id: 'db' }).start();

const server = createServer((req, res) => {
  const worker = new Worker(new URL('./request-worker.mjs', import.meta.url), { workerData: { path: req.url } });
  worker.once('message', ({ status, body }) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  worker.once('error', (err) => res.writeHead(500).end(String(err)));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
console.log(`listening on 127.0.0.1:${port}`);

// The clients: `requests` requests, `parallel` at a time; ids 1-3 exist, 4 does not.
const paths = Array.from({ length: requests }, (_, i) => `/users/${(i % 4) + 1}`);
const statuses = [];
const servers = new Set();
for (let i = 0; i < paths.length; i += parallel) {
  const wave = paths.slice(i, i + parallel).map(async (path) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    const body = await res.json();
    statuses.push(res.status);
    if (res.ok) servers.add(body.servedBy);
    return `${path} -> ${res.status} ${res.ok ? `${body.user.name} (thread ${body.servedBy}, loop of thread ${body.loopOwner})` : body.error}`;
  });
  for (const line of await Promise.all(wave)) console.log(line);
}

const queries = db.submitTask(defineTasks(new URL('./db-tasks.mjs', import.meta.url)).queryCount(), { returnSyncFuture: true }).result();
console.log(`${statuses.length} requests: ${statuses.filter((s) => s === 200).length} ok, ${statuses.filter((s) => s === 404).length} not found; ${servers.size} request threads, ${queries} queries on one loop`);
server.closeAllConnections(); // the clients' keep-alive sockets would hold close() for seconds
await new Promise((resolve) => server.close(resolve));
await db.stop();
console.log('server closed, loop stopped');
