// Raw postMessage baseline for payloads: echo values back; answer a transferred buffer with its size.
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (v) => parentPort.postMessage(v instanceof ArrayBuffer ? v.byteLength : v));
