import http from 'node:http';
import https from 'node:https';
import { IDEMPOTENCY_KEY_HEADER, NDJSON_CONTENT_TYPE } from '../functions/shared/contract/ingest-api.js';

/** What the client needs from an HTTP answer. */
export interface TransportResponse {
  readonly status: number;
  readonly retryAfter: string | undefined;
  /** The body as text, cut at `MAX_RESPONSE_BYTES`. */
  readonly body: string;
}

export interface HttpTransportOptions {
  readonly url: URL;
  readonly apiKey: string;
  /** From the first byte sent to the last byte received. */
  readonly timeoutMs: number;
  readonly maxSockets: number;
  readonly userAgent: string;
}

/** Answers are small JSON documents; anything longer is cut rather than buffered. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Idle keep-alive sockets are closed after this long, below the 5 s keep-alive timeout of a
 * Node server, so that a request is rarely written to a socket the server is closing.
 */
const FREE_SOCKET_TIMEOUT_MS = 4_000;

export class TransportError extends Error {
  override readonly name = 'TransportError';
}

/**
 * POSTs gzip NDJSON bodies over node:http(s) with a keep-alive agent. Rejects on anything that
 * is not an HTTP answer: refused or reset connections, a socket closed mid-answer, the deadline.
 */
export class HttpTransport {
  readonly #options: HttpTransportOptions;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;

  constructor(options: HttpTransportOptions) {
    this.#options = options;
    const secure = options.url.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, timeout: FREE_SOCKET_TIMEOUT_MS };
    this.#agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#request = secure ? https.request : http.request;
  }

  /** Posts one gzip NDJSON batch; `idempotencyKey` is the same on every retry of that batch. */
  send(body: Buffer, signal: AbortSignal, idempotencyKey: string): Promise<TransportResponse> {
    const { url, apiKey, timeoutMs, userAgent } = this.#options;
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (outcome: TransportResponse | Error): void => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const request = this.#request(url, {
        method: 'POST',
        agent: this.#agent,
        signal,
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': NDJSON_CONTENT_TYPE,
          'content-encoding': 'gzip',
          'content-length': body.length,
          [IDEMPOTENCY_KEY_HEADER]: idempotencyKey,
          accept: 'application/json',
          'user-agent': userAgent,
        },
      });
      const deadline = setTimeout(() => {
        request.destroy(new TransportError(`no complete answer within ${timeoutMs} ms`));
      }, timeoutMs);
      request.on('error', finish);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('error', finish);
        response.on('end', () => {
          const retryAfter = response.headers['retry-after'];
          finish({
            status: response.statusCode ?? 0,
            retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
            body: Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8'),
          });
        });
        response.on('close', () => {
          if (!response.complete) {
            finish(new TransportError('connection closed before the answer was complete'));
          }
        });
      });
      request.end(body);
    });
  }

  /** Closes every socket; requests in flight fail. */
  close(): void {
    this.#agent.destroy();
  }
}
