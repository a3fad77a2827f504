import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleRequest, type RequestSummary, type ValidatorDeps } from '../functions/validator/core.js';

export interface IngestServer {
  readonly url: string;
  close(): Promise<void>;
}

type ReadResult = { ok: true; body: Buffer } | { ok: false; bytes: number };

/** Reads a body, giving up as soon as it passes `max`: the same cap the load balancer applies. */
function readBody(req: IncomingMessage, max: number): Promise<ReadResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > max) {
        req.removeAllListeners('data');
        req.resume();
        resolve({ ok: false, bytes });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve({ ok: true, body: Buffer.concat(chunks) }));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, statusCode: number, headers: Record<string, string>, body: string): void {
  res.writeHead(statusCode, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The ingest API on loopback, over the very core the Lambda runs: what the ALB and the handler
 * do in AWS, this does with node:http.
 */
export async function startIngestServer(options: {
  deps: ValidatorDeps;
  port?: number;
  host?: string;
  onRequest?: (summary: RequestSummary) => void;
}): Promise<IngestServer> {
  const { deps } = options;
  const server = createServer(async (req, res) => {
    try {
      const read = await readBody(req, deps.limits.maxBodyBytes);
      // An over-long body is answered by the core from its size alone, as the ALB would refuse it.
      const body = read.ok ? read.body : Buffer.alloc(read.bytes);
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        headers[name] = Array.isArray(value) ? value[0] : value;
      }
      const { response, summary } = await handleRequest(
        { method: req.method ?? 'GET', path: req.url ?? '/', headers, body },
        deps,
      );
      options.onRequest?.(summary);
      if (!read.ok) res.setHeader('connection', 'close');
      send(res, response.statusCode, response.headers, response.body);
    } catch (error) {
      send(
        res,
        500,
        { 'content-type': 'application/json' },
        JSON.stringify({ error: { code: 'internal_error', message: (error as Error).message } }),
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
