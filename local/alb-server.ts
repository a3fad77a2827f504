import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { LOCAL_AWS } from './kinesis.js';
import { LOCAL_ACCOUNT_ID, localLambdaContext } from './lambda-context.js';

/** A Lambda function behind an Application Load Balancer target group. */
export type AlbHandler = (event: ALBEvent, context: Context) => Promise<ALBResult>;

/** A listener rule: requests whose path starts with one of the prefixes go to this function. */
export interface AlbRoute {
  readonly functionName: string;
  readonly pathPrefixes: readonly string[];
  readonly handler: AlbHandler;
  /**
   * Invocations in flight at most, as a Lambda function's reserved concurrency caps it; a request
   * beyond it is answered 503 with Retry-After, as the load balancer answers for a throttled
   * function. Keeps memory and latency bounded when the offered load is more than the machine takes.
   * @default - no cap
   */
  readonly maxConcurrency?: number;
}

export interface AlbServerOptions {
  /** Rules in order; the first whose prefix matches wins. */
  readonly routes: readonly AlbRoute[];
  /** The default action: the function that takes every other path. */
  readonly defaultRoute: Omit<AlbRoute, 'pathPrefixes'>;
  /** The load balancer's cap on a request body for a Lambda target. */
  readonly maxBodyBytes: number;
  readonly port?: number;
  readonly host?: string;
  /** Called when a function throws; the client gets a 502, as from a load balancer. */
  readonly onError?: (functionName: string, error: Error) => void;
}

export interface AlbServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections, lets requests in flight finish (up to `graceMs`), then closes. */
  close(graceMs?: number): Promise<void>;
}

type ReadResult = { ok: true; body: Buffer } | { ok: false; bytes: number };

/** Reads a body, giving up as soon as it passes `max`: the load balancer does not buffer more. */
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

/**
 * An HTTP request as the event an ALB sends a Lambda target (multi-value headers off): lowercase
 * header names, the query string as sent (the load balancer does not decode it), a base64 body.
 */
export function toAlbEvent(req: IncomingMessage, body: Buffer, targetGroup: string): ALBEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined)
      headers[name.toLowerCase()] = Array.isArray(value) ? (value.at(-1) ?? '') : value;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const pair of url.search.slice(1).split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    queryStringParameters[at === -1 ? pair : pair.slice(0, at)] = at === -1 ? '' : pair.slice(at + 1);
  }
  return {
    requestContext: {
      elb: {
        targetGroupArn: `arn:aws:elasticloadbalancing:${LOCAL_AWS.region}:${LOCAL_ACCOUNT_ID}:targetgroup/${targetGroup}/local`,
      },
    },
    httpMethod: req.method ?? 'GET',
    path: url.pathname,
    queryStringParameters,
    headers,
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

function send(res: ServerResponse, result: ALBResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    headers[name] = values.map(String);
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, result.statusDescription?.replace(/^\d+\s*/, '') || undefined, headers);
  res.end(body);
}

/**
 * The load balancer of `npm start`: listener rules by path prefix in front of the Lambda handlers,
 * which receive the same ALB events and return the same results as in AWS.
 */
export async function startAlbServer(options: AlbServerOptions): Promise<AlbServer> {
  const host = options.host ?? '127.0.0.1';
  const routeFor = (path: string) =>
    options.routes.find((route) =>
      route.pathPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)),
    ) ?? options.defaultRoute;

  const inFlight = new Map<string, number>();
  const server = createServer(async (req, res) => {
    const route = routeFor(new URL(req.url ?? '/', 'http://localhost').pathname);
    const running = inFlight.get(route.functionName) ?? 0;
    if (route.maxConcurrency !== undefined && running >= route.maxConcurrency) {
      req.resume();
      res.setHeader('connection', 'close');
      send(res, {
        statusCode: 503,
        statusDescription: '503 Service Unavailable',
        headers: { 'content-type': 'application/json', 'retry-after': '1' },
        body: JSON.stringify({
          error: {
            code: 'throttled',
            message: `${route.functionName} is at its concurrency limit (${route.maxConcurrency}); retry after 1 s`,
          },
        }),
      });
      return;
    }
    inFlight.set(route.functionName, running + 1);
    try {
      const read = await readBody(req, options.maxBodyBytes);
      // A body over the cap is passed on as that many bytes plus one: the function answers 413
      // from the size alone, in its own words, and the rest of the upload is not read.
      const body = read.ok ? read.body : Buffer.alloc(options.maxBodyBytes + 1);
      if (!read.ok) res.setHeader('connection', 'close');
      const result = await route.handler(
        toAlbEvent(req, body, route.functionName),
        localLambdaContext(route.functionName, 30_000),
      );
      send(res, result);
    } catch (error) {
      options.onError?.(route.functionName, error as Error);
      send(res, {
        statusCode: 502,
        statusDescription: '502 Bad Gateway',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          error: { code: 'bad_gateway', message: `${route.functionName} failed; see the server log` },
        }),
      });
    } finally {
      inFlight.set(route.functionName, (inFlight.get(route.functionName) ?? 1) - 1);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: async (graceMs = 10_000) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearInterval(idle);
      clearTimeout(deadline);
    },
  };
}
