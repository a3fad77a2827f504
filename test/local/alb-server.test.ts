import { connect } from 'node:net';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { ALB_MAX_RESPONSE_BYTES, type AlbServerOptions, startAlbServer } from '../../local/alb-server.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Answers 200 with the size of the body it got; `hold` keeps it from answering until released. */
function echoFunction() {
  const calls: ALBEvent[] = [];
  let release: () => void = () => undefined;
  let held: Promise<void> | undefined;
  return {
    calls,
    hold() {
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
    handler: async (event: ALBEvent): Promise<ALBResult> => {
      calls.push(event);
      await held;
      const bytes = Buffer.from(event.body ?? '', 'base64').length;
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bytes }),
      };
    },
  };
}

async function start(options: Partial<AlbServerOptions> & Pick<AlbServerOptions, 'defaultRoute'>) {
  const errors: string[] = [];
  const server = await startAlbServer({
    routes: [],
    maxBodyBytes: 1_000_000,
    onError: (name, error) => errors.push(`${name}: ${error.message}`),
    ...options,
  });
  cleanups.push(() => server.close(100));
  return { server, errors };
}

/**
 * A client that sends `head` and then part of a body, and stalls: resolves with everything the
 * server sent once it closes the connection.
 */
function stallingClient(port: number, head: string, partialBody = '') {
  const socket = connect(port, '127.0.0.1');
  cleanups.push(async () => socket.destroy());
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let isClosed = false;
  const closed = new Promise<string>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve(received);
    }),
  );
  return {
    isClosed: () => isClosed,
    destroy: () => socket.destroy(),
    sent: connected.then(
      () => new Promise<void>((resolve) => socket.write(head + partialBody, () => resolve())),
    ),
    closed,
  };
}

const post = (url: string, body: string) => fetch(`${url}/v1/events`, { method: 'POST', body });

describe('the local load balancer', () => {
  it('reads a body before it takes a slot: a stalled client holds none and gets 408', async () => {
    const fn = echoFunction();
    const { server } = await start({
      defaultRoute: { functionName: 'validator', handler: fn.handler, maxConcurrency: 1 },
      bodyTimeoutMs: 400,
    });
    const slow = stallingClient(
      server.port,
      'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n',
      '{"events":',
    );
    await slow.sent;

    const answers = await Promise.all([post(server.url, 'a'.repeat(10)), post(server.url, 'b'.repeat(20))]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(await Promise.all(answers.map((a) => a.json()))).toEqual([{ bytes: 10 }, { bytes: 20 }]);
    expect(slow.isClosed()).toBe(false);

    const text = await slow.closed;
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text).toContain('"code":"request_timeout"');
    // The function never saw the stalled request.
    expect(fn.calls).toHaveLength(2);
  });

  it('answers 408 to a client that stalls in its headers, and serves the others meanwhile', async () => {
    const fn = echoFunction();
    const { server } = await start({
      defaultRoute: { functionName: 'validator', handler: fn.handler, maxConcurrency: 1 },
      bodyTimeoutMs: 300,
    });
    const slow = stallingClient(server.port, 'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le');
    await slow.sent;

    expect((await post(server.url, 'x')).status).toBe(200);
    expect(await slow.closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('carries on when clients go away mid-body or mid-call', async () => {
    const fn = echoFunction();
    const { server, errors } = await start({
      defaultRoute: { functionName: 'validator', handler: fn.handler, maxConcurrency: 1 },
      maxHeldBodyBytes: 1_000,
    });
    const head = 'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 600\r\n\r\n';
    const midBody = stallingClient(server.port, head, 'x'.repeat(300));
    await midBody.sent;
    midBody.destroy();
    await midBody.closed;

    fn.hold();
    const midCall = stallingClient(server.port, head, 'x'.repeat(600));
    await midCall.sent;
    while (fn.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    midCall.destroy();
    await midCall.closed;
    fn.release();

    // Neither holds a slot nor body bytes: a body of 900 fits the 1,000 held at most.
    const answer = await post(server.url, 'y'.repeat(900));
    expect(answer.status).toBe(200);
    expect(fn.calls).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it('still answers 503 with Retry-After past the concurrency cap', async () => {
    const fn = echoFunction();
    const { server } = await start({
      defaultRoute: { functionName: 'validator', handler: fn.handler, maxConcurrency: 1 },
    });
    fn.hold();
    const first = post(server.url, 'a');
    while (fn.calls.length === 0) await new Promise((r) => setTimeout(r, 5));

    const second = await post(server.url, 'b');
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(await second.json()).toMatchObject({ error: { code: 'throttled' } });
    fn.release();
    expect((await first).status).toBe(200);
  });

  it('bounds the body bytes it holds: past the cap a request gets 503 until the held ones go', async () => {
    const fn = echoFunction();
    const { server } = await start({
      defaultRoute: { functionName: 'validator', handler: fn.handler },
      bodyTimeoutMs: 400,
      maxHeldBodyBytes: 1_000,
    });
    const slow = stallingClient(
      server.port,
      'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000\r\n\r\n',
      'x'.repeat(800),
    );
    await slow.sent;
    await new Promise((r) => setTimeout(r, 50));

    const refused = await post(server.url, 'y'.repeat(500));
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'busy' } });
    expect(await slow.closed).toMatch(/^HTTP\/1\.1 408 /);
    expect((await post(server.url, 'y'.repeat(500))).status).toBe(200);
    expect((await post(server.url, 'z'.repeat(900))).status).toBe(200);
  });

  describe('a function response over the 1 MB limit, measured as the JSON of the ALB result', () => {
    // ~500,000 quotes: a 500 KB body, which the result's JSON escapes to twice as many bytes.
    const result = (quotes: number): ALBResult => ({
      statusCode: 200,
      headers: { 'content-type': 'text/plain' },
      body: '"'.repeat(quotes),
    });
    const sizeOf = (r: ALBResult) => Buffer.byteLength(JSON.stringify(r));
    const under = Math.floor((ALB_MAX_RESPONSE_BYTES - sizeOf(result(0))) / 2);

    it.each([
      { name: 'at the limit', quotes: under, status: 200 },
      { name: 'one byte past it', quotes: under + 1, status: 502 },
    ])('answers $status $name', async ({ quotes, status }) => {
      expect(sizeOf(result(quotes)) > ALB_MAX_RESPONSE_BYTES).toBe(status === 502);
      const { server, errors } = await start({
        defaultRoute: { functionName: 'validator', handler: async () => result(quotes) },
      });

      const answer = await post(server.url, '{}');

      expect(answer.status).toBe(status);
      if (status === 200) {
        expect((await answer.text()).length).toBe(quotes);
        expect(errors).toEqual([]);
      } else {
        expect(await answer.json()).toEqual({
          error: { code: 'bad_gateway', message: 'validator failed; see the server log' },
        });
        expect(errors).toEqual([
          `validator: its response is ${sizeOf(result(quotes))} bytes of JSON, over the load balancer's 1000000-byte limit for a Lambda target`,
        ]);
      }
    });
  });
});
