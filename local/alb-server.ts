import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { errorResponse, matchesRoutePattern } from '../functions/shared/http.js';
import { localLambdaContext } from './lambda-context.js';
import { LOCAL_ACCOUNT_ID, LOCAL_AWS } from './local-aws.js';

/** A Lambda function behind an Application Load Balancer target group. */
export type AlbHandler = (event: ALBEvent, context: Context) => Promise<ALBResult>;

/** A listener rule: requests whose path starts with one of the prefixes go to this function. */
export interface AlbRoute {
  readonly functionName: string;
  readonly pathPatterns: readonly string[];
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
  readonly defaultRoute: Omit<AlbRoute, 'pathPatterns'>;
  /** The load balancer's cap on a request body for a Lambda target. */
  readonly maxBodyBytes: number;
  /**
   * The load balancer's cap on a Lambda target's response, the JSON of the ALB result as the
   * function returns it; a larger one is answered 502, as the load balancer answers it.
   * @default 1_000_000
   */
  readonly maxResponseBytes?: number;
  /**
   * Time a client has to send a request's headers, and then its body; a client slower than this
   * is answered 408 and disconnected. The body is read before the request takes a function's
   * concurrency slot, so a slow client holds none.
   * @default 10_000
   */
  readonly bodyTimeoutMs?: number;
  /**
   * Bytes of request bodies held at once, read or being handled; a request whose body would pass
   * it is answered 503 with Retry-After. With `maxBodyBytes`, it bounds the memory that clients
   * sending at once can take, however many connections they open.
   * @default - 64 MiB
   */
  readonly maxHeldBodyBytes?: number;
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

/** The ALB's cap on the JSON of a Lambda target's response. */
export const ALB_MAX_RESPONSE_BYTES = 1_000_000;

const DEFAULT_BODY_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_HELD_BODY_BYTES = 64 * 1024 * 1024;

/** Bytes of request bodies the server holds, against a cap. */
class BodyBudget {
  #held = 0;
  constructor(readonly max: number) {}
  take(bytes: number): boolean {
    if (this.#held + bytes > this.max) return false;
    this.#held += bytes;
    return true;
  }
  release(bytes: number): void {
    this.#held -= bytes;
  }
}

type ReadResult =
  | { readonly kind: 'ok'; readonly body: Buffer }
  /** Past the size cap: the rest of the upload is discarded, not read into memory. */
  | { readonly kind: 'too_large' }
  /** Not all there by the deadline. */
  | { readonly kind: 'timeout' }
  /** The server holds as many body bytes as it may. */
  | { readonly kind: 'busy' }
  /** The client went away. */
  | { readonly kind: 'aborted' };

/**
 * Reads a body within `timeoutMs`, giving up as soon as it passes `max` (the load balancer does
 * not buffer more). The bytes of an `ok` body stay taken from `budget` until the caller releases
 * them; any other outcome gives them back.
 */
function readBody(
  req: IncomingMessage,
  max: number,
  timeoutMs: number,
  budget: BodyBudget,
): Promise<ReadResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const finish = (result: ReadResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onAbort);
      if (result.kind !== 'ok') {
        budget.release(bytes);
        chunks.length = 0;
        // Whatever else arrives is read and dropped until the answer closes the connection.
        req.resume();
      }
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      if (bytes + chunk.length > max) return finish({ kind: 'too_large' });
      if (!budget.take(chunk.length)) return finish({ kind: 'busy' });
      bytes += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => finish({ kind: 'ok', body: Buffer.concat(chunks) });
    const onAbort = () => finish({ kind: 'aborted' });
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    // Kept after the read: a client that goes away later must not throw an unhandled 'error'.
    req.on('error', onAbort);
    req.on('close', onAbort);
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

/** The load balancer's own answers that a client should retry in a second. */
const RETRY_IN_1S = { 'retry-after': '1' } as const;

/** An answer of the load balancer itself, in the API's error shape (`{"error":{"code","message"}}`). */
function jsonError(
  statusCode: number,
  code: string,
  message: string,
  headers?: Readonly<Record<string, string>>,
): ALBResult {
  const statusDescription = `${statusCode} ${STATUS_CODES[statusCode]}`;
  return { ...errorResponse(statusCode, code, message, headers), statusDescription };
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
    options.routes.find((route) => matchesRoutePattern(path, route.pathPatterns)) ?? options.defaultRoute;

  const maxResponseBytes = options.maxResponseBytes ?? ALB_MAX_RESPONSE_BYTES;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const budget = new BodyBudget(options.maxHeldBodyBytes ?? DEFAULT_MAX_HELD_BODY_BYTES);
  const inFlight = new Map<string, number>();

  /** Reads the body, then takes a concurrency slot, calls the function and answers. */
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = routeFor(new URL(req.url ?? '/', 'http://localhost').pathname);
    const read = await readBody(req, options.maxBodyBytes, bodyTimeoutMs, budget);
    if (read.kind === 'aborted') return;
    // A body not read to its end (late, refused, over the cap) leaves the connection unable to
    // carry another request.
    if (read.kind !== 'ok') res.setHeader('connection', 'close');
    if (read.kind === 'timeout') {
      const message = `the request body did not arrive within ${bodyTimeoutMs / 1_000} s; send it again`;
      send(res, jsonError(408, 'request_timeout', message));
      return;
    }
    if (read.kind === 'busy') {
      const message = 'the load balancer holds as many request bodies as it may; retry after 1 s';
      send(res, jsonError(503, 'busy', message, RETRY_IN_1S));
      return;
    }
    const held = read.kind === 'ok' ? read.body.length : 0;
    try {
      const running = inFlight.get(route.functionName) ?? 0;
      if (route.maxConcurrency !== undefined && running >= route.maxConcurrency) {
        const message = `${route.functionName} is at its concurrency limit (${route.maxConcurrency}); retry after 1 s`;
        send(res, jsonError(503, 'throttled', message, RETRY_IN_1S));
        return;
      }
      inFlight.set(route.functionName, running + 1);
      try {
        // A body over the cap is passed on as that many bytes plus one: the function answers 413
        // from the size alone, in its own words, and the rest of the upload is not read.
        const body = read.kind === 'ok' ? read.body : Buffer.alloc(options.maxBodyBytes + 1);
        const result = await route.handler(
          toAlbEvent(req, body, route.functionName),
          localLambdaContext(route.functionName, 30_000),
        );
        const bytes = Buffer.byteLength(JSON.stringify(result));
        if (bytes > maxResponseBytes) {
          throw new Error(
            `its response is ${bytes} bytes of JSON, over the load balancer's ${maxResponseBytes}-byte limit for a Lambda target`,
          );
        }
        send(res, result);
      } catch (error) {
        options.onError?.(route.functionName, error as Error);
        send(res, jsonError(502, 'bad_gateway', `${route.functionName} failed; see the server log`));
      } finally {
        inFlight.set(route.functionName, (inFlight.get(route.functionName) ?? 1) - 1);
      }
    } finally {
      budget.release(held);
    }
  }

  // Headers get the body's deadline; Node's own deadline on the whole request (a 408 as well) is
  // the backstop of the body's, checked every second rather than every 30.
  const server = createServer(
    {
      headersTimeout: bodyTimeoutMs,
      requestTimeout: 2 * bodyTimeoutMs + 1_000,
      connectionsCheckingInterval: Math.min(1_000, bodyTimeoutMs),
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        options.onError?.('load balancer', error as Error);
        res.destroy();
      });
    },
  );
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
