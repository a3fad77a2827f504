// The local Kinesis API in a thread of its own. Encoding and decoding megabyte records as base64
// JSON takes most of a core at 10,000 events/s, which must not stall the API's event loop.
// Plain JavaScript: a worker thread has no TypeScript loader under every runner (tsx, vitest).
import { parentPort, workerData } from 'node:worker_threads';
import kinesalite from 'kinesalite';

const { path, port } = workerData;
const server = kinesalite({ path, createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
server.on('error', (error) => parentPort?.postMessage({ error: error.message }));
server.listen(port, '127.0.0.1', () => parentPort?.postMessage({ port: server.address().port }));
parentPort?.on('message', (message) => {
  if (message !== 'close') return;
  // Every write was committed to LevelDB's log before it was acknowledged, so the thread can be
  // stopped as soon as it stops listening.
  server.close();
  server.closeAllConnections?.();
  parentPort?.postMessage({ closed: true });
});
