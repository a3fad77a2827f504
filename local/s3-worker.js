// The local S3 API in a thread of its own. The embedded ClickHouse's cold disk reads and writes
// it, and some of the engine's calls block the calling thread until they finish (opening a data
// directory loads the parts on the cold disk): served from the main thread, those requests would
// wait for the very call that waits for them.
// Plain JavaScript: a worker thread has no TypeScript loader under every runner (tsx, vitest).
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
// s3rver 3.7 ships CommonJS only.
const S3rver = require('s3rver');

const { path, port } = workerData;
const server = new S3rver({ address: '127.0.0.1', port, directory: path, silent: true });
server.run().then(
  (address) => parentPort?.postMessage({ port: address.port }),
  (error) => parentPort?.postMessage({ error: error.message }),
);
parentPort?.on('message', (message) => {
  if (message !== 'close') return;
  // Every object is a file written before its PUT was answered, so the thread can stop as soon
  // as the server does.
  server.httpServer?.closeAllConnections?.();
  server.close().then(
    () => parentPort?.postMessage({ closed: true }),
    (error) => parentPort?.postMessage({ closed: true, error: error.message }),
  );
});
