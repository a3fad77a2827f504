import { createHash } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir } from '../cli/private-dir.js';

/**
 * The channel between a running `npm start` and the commands that need its engine (`npm run
 * replay`, `npm run dead-letters -- redrive`): the embedded ClickHouse takes one process per data
 * directory, so while npm start runs, the commands hand it their work instead of opening the
 * engine themselves.
 *
 * It is a Unix socket inside the data directory, which only its owner may enter (0700): the
 * file system is its authentication, and nothing on the network can reach it. Each request is one
 * JSON line; the answer is any number of `{"progress":…}` lines, then one `{"result":…}` or
 * `{"error":"…"}` line. A connection carries its requests one after another.
 */

/** Unix socket paths are limited to 107 bytes on Linux; a longer data directory gets one in a private temporary directory. */
const MAX_SOCKET_PATH = 100;

/** Where npm start listens for a data directory (absolute). */
export async function controlSocketPath(dataDir: string): Promise<string> {
  const inside = join(dataDir, 'control.sock');
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH) return inside;
  const dir = join(tmpdir(), `evalforge-${userInfo().uid}`);
  await ensurePrivateDir(dir);
  return join(dir, `${createHash('sha256').update(dataDir).digest('hex').slice(0, 24)}.sock`);
}

/** What one request's handler may say before its result. */
export type ProgressSink = (progress: unknown) => void;

/** The handlers of the requests npm start answers, by `op`. */
export type ControlHandlers = Readonly<
  Record<
    string,
    (request: Record<string, unknown>, progress: ProgressSink, signal: AbortSignal) => Promise<unknown>
  >
>;

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Lines of a stream, one JSON value each; a line over `maxBytes` ends the connection. A line of
 * megabytes (a batch of records) arrives in many chunks: each chunk is searched once, and the
 * chunks of a line are joined once, when its newline comes.
 */
function readLines(socket: Socket, onLine: (line: string) => void, maxBytes: number): void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  socket.on('data', (chunk: Buffer) => {
    let start = 0;
    let newline = chunk.indexOf(0x0a, start);
    while (newline !== -1) {
      pending.push(chunk.subarray(start, newline));
      const line = Buffer.concat(pending).toString('utf8');
      pending = [];
      pendingBytes = 0;
      if (line.trim() !== '') onLine(line);
      start = newline + 1;
      newline = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxBytes) socket.destroy(new Error(`a control line is over ${maxBytes} bytes`));
    }
  });
}

/** A request line may carry a batch of records: up to a loader batch's size, and then some. */
const MAX_LINE_BYTES = 256 * 1024 * 1024;

/**
 * Listens on the data directory's socket. A socket file left by a process that ended is replaced:
 * the caller holds the data directory (its engine is open), so no live process owns it.
 */
export async function startControlServer(dataDir: string, handlers: ControlHandlers): Promise<ControlServer> {
  const path = await controlSocketPath(dataDir);
  await unlink(path).catch(() => undefined);
  const connections = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections.add(socket);
    const abort = new AbortController();
    socket.on('close', () => {
      connections.delete(socket);
      abort.abort(new Error('the command that asked went away'));
    });
    socket.on('error', () => undefined);
    let queue = Promise.resolve();
    readLines(
      socket,
      (line) => {
        queue = queue.then(async () => {
          const send = (value: unknown) => {
            if (!socket.destroyed) socket.write(`${JSON.stringify(value)}\n`);
          };
          let request: Record<string, unknown>;
          try {
            const parsed = JSON.parse(line) as unknown;
            if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
              throw new Error('not an object');
            request = parsed as Record<string, unknown>;
          } catch (error) {
            send({ error: `a control request must be a JSON object: ${(error as Error).message}` });
            return;
          }
          const handler = typeof request.op === 'string' ? handlers[request.op] : undefined;
          if (!handler) {
            send({
              error: `npm start does not know the request ${JSON.stringify(request.op)}: is it from another version?`,
            });
            return;
          }
          try {
            const result = await handler(request, (progress) => send({ progress }), abort.signal);
            send({ result: result ?? null });
          } catch (error) {
            send({ error: (error as Error).message });
          }
        });
      },
      MAX_LINE_BYTES,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    path,
    close: async () => {
      for (const socket of connections) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(path).catch(() => undefined);
    },
  };
}

/** A connection to a running npm start. */
export interface ControlClient {
  /** Sends a request; resolves with its result, calling `onProgress` for each progress line; rejects with its error. */
  request<T>(
    request: Record<string, unknown> & { op: string },
    onProgress?: (progress: unknown) => void,
  ): Promise<T>;
  close(): void;
}

/**
 * Connects to the npm start that serves `dataDir`, or resolves undefined when none does (no
 * socket, or a socket file nobody listens on).
 */
export async function connectControl(dataDir: string): Promise<ControlClient | undefined> {
  const path = await controlSocketPath(dataDir);
  const socket = await new Promise<Socket | undefined>((resolve, reject) => {
    const s = createConnection(path);
    s.once('connect', () => resolve(s));
    s.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') resolve(undefined);
      else reject(new Error(`cannot reach npm start at ${path}: ${error.message}`));
    });
  });
  if (!socket) return undefined;
  type Waiter = {
    progress?: (p: unknown) => void;
    resolve: (v: unknown) => void;
    reject: (e: Error) => void;
  };
  const waiting: Waiter[] = [];
  let ended: Error | undefined;
  const fail = (error: Error) => {
    ended ??= error;
    for (const w of waiting.splice(0)) w.reject(error);
  };
  socket.on('error', (error) => fail(new Error(`the connection to npm start failed: ${error.message}`)));
  socket.on('close', () => fail(new Error('npm start closed the connection (did it stop?)')));
  readLines(
    socket,
    (line) => {
      const current = waiting[0];
      if (!current) return;
      let answer: { progress?: unknown; result?: unknown; error?: string };
      try {
        answer = JSON.parse(line) as typeof answer;
      } catch {
        fail(new Error(`npm start answered a line that is not JSON: ${line.slice(0, 200)}`));
        return;
      }
      if ('progress' in answer) current.progress?.(answer.progress);
      else if ('error' in answer) {
        waiting.shift();
        current.reject(new Error(String(answer.error)));
      } else {
        waiting.shift();
        current.resolve(answer.result);
      }
    },
    MAX_LINE_BYTES,
  );
  return {
    request: <T>(
      request: Record<string, unknown> & { op: string },
      onProgress?: (progress: unknown) => void,
    ) =>
      new Promise<T>((resolve, reject) => {
        if (ended) {
          reject(ended);
          return;
        }
        waiting.push({ progress: onProgress, resolve: resolve as (v: unknown) => void, reject });
        socket.write(`${JSON.stringify(request)}\n`);
      }),
    close: () => {
      socket.destroy();
    },
  };
}
