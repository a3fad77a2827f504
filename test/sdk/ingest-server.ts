import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One request as the fake ingest API saw it. */
export interface ReceivedRequest {
  /** 0 for the first request the server got. */
  readonly index: number;
  /** `performance.now()` when the body had arrived. */
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  /** Size of the body on the wire (gzip). */
  readonly bodyBytes: number;
  readonly events: Record<string, unknown>[];
}

export type Reply =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> }
  /** Close the connection without an answer (`req.socket.destroy()`). */
  | 'destroy'
  /** Never answer. */
  | 'hang';

export type Responder = (request: ReceivedRequest) => Reply;

export const acceptAll: Responder = (request) => ({
  status: 200,
  body: { accepted: request.events.length, rejected: 0, errors: [] },
});

export interface IngestServer {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Every event of every request that got a 2xx, in arrival order. */
  readonly delivered: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A real HTTP server on loopback that gunzips and parses NDJSON like the ingest API. */
export async function startIngestServer(respond: Responder = acceptAll): Promise<IngestServer> {
  const requests: ReceivedRequest[] = [];
  const delivered: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      const events = text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const received: ReceivedRequest = {
        index: requests.length,
        at: performance.now(),
        headers: req.headers,
        bodyBytes: raw.length,
        events,
      };
      requests.push(received);
      const reply = respond(received);
      if (reply === 'destroy') {
        req.socket.destroy();
        return;
      }
      if (reply === 'hang') return;
      if (reply.status >= 200 && reply.status < 300) {
        const rejected = new Set(
          ((reply.body as { errors?: { index: number }[] } | undefined)?.errors ?? []).map((e) => e.index),
        );
        delivered.push(...events.filter((_, index) => !rejected.has(index)));
      }
      const isText = typeof reply.body === 'string';
      res.writeHead(reply.status, {
        'content-type': isText ? 'text/html' : 'application/json',
        ...reply.headers,
      });
      res.end(reply.body === undefined ? undefined : isText ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    delivered,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The URL of a loopback port nothing listens on: connections are refused. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
