import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkEvent } from '../../functions/shared/contract/event.js';
import { INGEST_LIMITS } from '../../functions/shared/contract/ingest-api.js';
import {
  type CaptureEvent,
  type DroppedEvents,
  EvalForgeClient,
  type EvalForgeClientOptions,
  EvalForgeConfigError,
} from '../../sdk/index.js';
import { acceptAll, closedPortUrl, type Responder, startIngestServer } from './ingest-server.js';

const API_KEY = `efk_0123456789abcdef_${'a'.repeat(43)}`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(respond?: Responder) {
  const started = await startIngestServer(respond);
  cleanups.push(() => started.close());
  return started;
}

/** A client with fast timings whose drops and errors are recorded; shut down after the test. */
function makeClient(options: Partial<EvalForgeClientOptions> & { endpoint: string }) {
  const drops: DroppedEvents[] = [];
  const errors: Error[] = [];
  const client = new EvalForgeClient({
    apiKey: API_KEY,
    initialBackoffMs: 10,
    maxBackoffMs: 50,
    flushIntervalMs: 50,
    onDrop: (dropped) => drops.push(dropped),
    onError: (error) => errors.push(error),
    ...options,
  });
  cleanups.push(() => client.shutdown({ timeoutMs: 1_000 }));
  const droppedNames = (code?: string) =>
    drops.filter((d) => code === undefined || d.code === code).flatMap((d) => d.events.map((e) => e.name));
  return { client, drops, errors, droppedNames };
}

function event(name: string, extra: Partial<CaptureEvent> = {}): CaptureEvent {
  return { model: 'gpt-4o-mini', latency_ms: 12, name, ...extra };
}

const names = (events: readonly Record<string, unknown>[]) => events.map((e) => e.name);
const range = (count: number, prefix = 'e') => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe('EvalForgeClient delivery', () => {
  it('sends gzip NDJSON with the API key, filling ids, timestamp and project', async () => {
    const ingest = await server();
    const { client, drops } = makeClient({
      endpoint: ingest.url,
      projectId: 'proj-1',
      now: () => Date.UTC(2026, 0, 31),
    });

    expect(client.capture(event('first'))).toBe(true);
    expect(client.capture(event('second', { trace_id: 'ab'.repeat(16), span_id: 'cd'.repeat(8) }))).toBe(
      true,
    );
    expect(await client.flush()).toBe(true);

    expect(ingest.requests).toHaveLength(1);
    const [request] = ingest.requests;
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers['content-type']).toBe('application/x-ndjson');
    expect(request?.headers['content-encoding']).toBe('gzip');
    const [first, second] = request?.events ?? [];
    expect(first).toMatchObject({
      name: 'first',
      project_id: 'proj-1',
      timestamp: '2026-01-31T00:00:00.000Z',
    });
    expect(first?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(first?.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(second).toMatchObject({ trace_id: 'ab'.repeat(16), span_id: 'cd'.repeat(8) });
    expect(client.stats()).toMatchObject({ captured: 2, sent: 2, dropped: 0, queuedEvents: 0 });
    expect(drops).toEqual([]);
  });

  it("sends chat messages as their JSON text and metadata in the store's model, so the server forwards each line as sent", async () => {
    const ingest = await server();
    const { client, drops } = makeClient({ endpoint: ingest.url, projectId: 'proj-1' });
    const messages = [{ role: 'user', content: 'hi' }];
    client.capture(
      event('chat', {
        prompt: messages,
        metadata: { 'gen_ai.system': 'openai', gone: null, plain: 'x' },
      }),
    );
    client.capture(event('plain', { prompt: 'text', metadata: { env: 'prod' } }));
    expect(await client.flush()).toBe(true);

    const [chat, plain] = ingest.requests[0]?.events ?? [];
    expect(chat).toMatchObject({
      prompt: JSON.stringify(messages),
      metadata: { gen_ai: { system: 'openai' }, plain: 'x' },
    });
    expect(plain).toMatchObject({ prompt: 'text', metadata: { env: 'prod' } });
    for (const sent of [chat, plain]) {
      const check = checkEvent(sent, 'proj-1');
      expect(check.ok && check.verbatim).toBe(true);
    }
    expect(drops).toEqual([]);
  });

  it('batches by count: 25 events with maxBatchEvents 10 make requests of 10, 10 and 5', async () => {
    const ingest = await server();
    const { client } = makeClient({ endpoint: ingest.url, maxBatchEvents: 10, flushIntervalMs: 60_000 });

    for (const name of range(25)) client.capture(event(name));
    await client.flush();

    expect(ingest.requests.map((r) => r.events.length).sort((a, b) => b - a)).toEqual([10, 10, 5]);
    expect(names(ingest.delivered).sort()).toEqual(range(25).sort());
    expect(client.stats().sent).toBe(25);
  });

  it('sends a partial batch after flushIntervalMs without a flush() call', async () => {
    const ingest = await server();
    const { client } = makeClient({ endpoint: ingest.url, maxBatchEvents: 100, flushIntervalMs: 100 });

    for (const name of range(3)) client.capture(event(name));
    expect(ingest.requests).toHaveLength(0);

    await vi.waitFor(() => expect(ingest.requests).toHaveLength(1), { timeout: 5_000, interval: 20 });
    expect(names(ingest.requests[0]?.events ?? [])).toEqual(range(3));
    await vi.waitFor(() => expect(client.stats().sent).toBe(3), { timeout: 5_000, interval: 20 });
  });

  it('shuts down after delivering what is queued, then refuses new events', async () => {
    const ingest = await server();
    const { client, droppedNames } = makeClient({ endpoint: ingest.url, flushIntervalMs: 60_000 });

    for (const name of range(4)) client.capture(event(name));
    await client.shutdown();

    expect(names(ingest.delivered)).toEqual(range(4));
    expect(client.capture(event('late'))).toBe(false);
    expect(droppedNames('shutdown')).toEqual(['late']);
  });
});

describe('EvalForgeClient retries', () => {
  it('waits for Retry-After after a 503 and loses nothing', async () => {
    let refusals = 2;
    const ingest = await server((request) =>
      refusals-- > 0
        ? {
            status: 503,
            body: '<html><body>503 Service Unavailable</body></html>',
            headers: { 'retry-after': '1' },
          }
        : acceptAll(request),
    );
    const { client, drops } = makeClient({ endpoint: ingest.url });

    for (const name of range(5)) client.capture(event(name));
    await client.flush();

    const times = ingest.requests.map((r) => r.at);
    expect(times).toHaveLength(3);
    for (let i = 1; i < times.length; i++) {
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(900);
    }
    expect(ingest.requests.every((r) => r.events.length === 5)).toBe(true);
    // A resend of the same events carries the same Idempotency-Key, so the server can skip it.
    const keys = ingest.requests.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(names(ingest.delivered)).toEqual(range(5));
    expect(client.stats()).toMatchObject({ sent: 5, retries: 2, dropped: 0 });
    expect(drops).toEqual([]);
  });

  it('resends the batch after the server drops the connection', async () => {
    let drops = 2;
    const ingest = await server((request) => (drops-- > 0 ? 'destroy' : acceptAll(request)));
    const { client, errors } = makeClient({ endpoint: ingest.url });

    for (const name of range(3)) client.capture(event(name));
    await client.flush();

    expect(ingest.requests).toHaveLength(3);
    expect(names(ingest.delivered)).toEqual(range(3));
    expect(client.stats()).toMatchObject({ sent: 3, retries: 2, dropped: 0 });
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining('network error'),
      expect.stringContaining('network error'),
    ]);
  });

  it('retries 500 and gives up after maxRetries, reporting retries_exhausted', async () => {
    const ingest = await server(() => ({
      status: 500,
      body: { error: { code: 'internal', message: 'boom' } },
    }));
    const { client, drops, droppedNames } = makeClient({ endpoint: ingest.url, maxRetries: 2 });

    for (const name of range(2)) client.capture(event(name));
    await client.flush();

    expect(ingest.requests).toHaveLength(3);
    expect(droppedNames('retries_exhausted')).toEqual(range(2));
    expect(drops[0]?.reason).toContain('boom');
    expect(drops[0]?.status).toBe(500);
  });

  it.each([
    {
      status: 207,
      // One retryable, one final; the other three were accepted.
      errors: [
        { index: 1, code: 'throttled', message: 'stream over its throughput', retryable: true },
        {
          index: 3,
          code: 'timestamp_out_of_range',
          message: 'timestamp: is more than 1 day ahead',
          retryable: false,
        },
      ],
      retried: ['e1'],
    },
    {
      status: 429,
      // Nothing accepted: every event listed, one final.
      errors: [0, 1, 2, 3, 4].map((index) =>
        index === 3
          ? {
              index,
              code: 'timestamp_out_of_range',
              message: 'timestamp: is more than 1 day ahead',
              retryable: false,
            }
          : { index, code: 'throttled', message: 'stream over its throughput', retryable: true },
      ),
      retried: ['e0', 'e1', 'e2', 'e4'],
    },
  ])(
    'resends only the retryable events of a $status and reports the others',
    async ({ status, errors, retried }) => {
      const ingest = await server((request) =>
        request.index === 0
          ? {
              status,
              body: { accepted: 5 - errors.length, rejected: errors.length, errors },
              headers: { 'retry-after': '0' },
            }
          : acceptAll(request),
      );
      const { client, drops } = makeClient({ endpoint: ingest.url });

      for (const name of range(5)) client.capture(event(name));
      await client.flush();

      expect(ingest.requests).toHaveLength(2);
      expect(names(ingest.requests[1]?.events ?? [])).toEqual(retried);
      // The retryable part is another set of events: a new batch, with a new key.
      const [first, second] = ingest.requests.map((r) => r.headers['idempotency-key']);
      expect(second).not.toBe(first);
      expect(names(ingest.delivered).sort()).toEqual(['e0', 'e1', 'e2', 'e4']);
      expect(drops).toEqual([
        {
          events: [expect.objectContaining({ name: 'e3' })],
          code: 'timestamp_out_of_range',
          reason: 'timestamp: is more than 1 day ahead',
          status,
        },
      ]);
      expect(client.stats()).toMatchObject({ sent: 4, dropped: 1, retries: 1 });
    },
  );

  it('reads an answer whose listing is cut short: omitted final errors are dropped, not counted as sent', async () => {
    const ingest = await server((request) =>
      request.index === 0
        ? {
            status: 207,
            body: {
              accepted: 2,
              rejected: 3,
              errors: [
                { index: 0, code: 'invalid_event', message: 'model: must not be empty', retryable: false },
              ],
              retry_indexes: [1],
              errors_omitted: 2,
              error_counts: { invalid_event: 1, throttled: 1, timestamp_out_of_range: 1 },
              omitted_indexes: { throttled: [1], timestamp_out_of_range: [3] },
            },
            headers: { 'retry-after': '0' },
          }
        : acceptAll(request),
    );
    const { client, drops } = makeClient({ endpoint: ingest.url });

    for (const name of range(5)) client.capture(event(name));
    await client.flush();

    expect(ingest.requests).toHaveLength(2);
    expect(names(ingest.requests[1]?.events ?? [])).toEqual(['e1']);
    expect(drops.map((d) => [d.code, names(d.events)])).toEqual([
      ['invalid_event', ['e0']],
      ['timestamp_out_of_range', ['e3']],
    ]);
    expect(drops[1]?.reason).toBe('left out of the answer, which lists 1 of 3 errors');
    expect(client.stats()).toMatchObject({ sent: 3, dropped: 2, retries: 1 });
  });

  it.each([
    { status: 400, code: 'bad_request', message: 'body is not NDJSON' },
    { status: 401, code: 'unauthorized', message: 'API key revoked' },
  ])('drops events on $status without retrying', async ({ status, code, message }) => {
    const ingest = await server(() => ({ status, body: { error: { code, message } } }));
    const { client, drops } = makeClient({ endpoint: ingest.url });

    for (const name of range(3)) client.capture(event(name));
    await client.flush();

    expect(ingest.requests).toHaveLength(1);
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ code: 'request_rejected', status });
    expect(drops[0]?.reason).toContain(message);
    expect(names(drops[0]?.events ?? [])).toEqual(range(3));
    expect(client.stats()).toMatchObject({ retries: 0, sent: 0, dropped: 3 });
  });
});

describe('EvalForgeClient limits', () => {
  it('splits a batch answered 413 in halves, dropping only an event that is refused alone', async () => {
    // This server takes at most 2 events per request and never an event named "huge".
    const ingest = await server((request) =>
      request.events.length > 2 || request.events.some((e) => e.name === 'huge')
        ? { status: 413, body: { error: { code: 'payload_too_large', message: 'body over the limit' } } }
        : acceptAll(request),
    );
    const { client, droppedNames } = makeClient({ endpoint: ingest.url });

    for (const name of ['e0', 'e1', 'huge', 'e3', 'e4', 'e5']) client.capture(event(name));
    await client.flush();

    expect(names(ingest.delivered).sort()).toEqual(['e0', 'e1', 'e3', 'e4', 'e5']);
    expect(droppedNames('event_too_large')).toEqual(['huge']);
    expect(client.stats().batchSplits).toBeGreaterThan(0);
    expect(client.stats().retries).toBe(0);
  });

  it('keeps every gzip body within 1,000,000 bytes, splitting incompressible batches', async () => {
    const ingest = await server();
    const { client, drops } = makeClient({ endpoint: ingest.url, flushIntervalMs: 60_000 });

    // Compressible events first, so the client expects a high compression ratio...
    for (const name of range(10, 'text')) client.capture(event(name, { prompt: 'a'.repeat(200_000) }));
    await client.flush();
    // ...then 1.6 MB of random base64, about 1.2 MB gzip in one batch.
    for (const name of range(8, 'random')) {
      client.capture(event(name, { prompt: randomBytes(150_000).toString('base64') }));
    }
    await client.flush();

    expect(drops).toEqual([]);
    expect(ingest.delivered).toHaveLength(18);
    expect(client.stats().batchSplits).toBeGreaterThan(0);
    for (const request of ingest.requests) {
      expect(request.bodyBytes).toBeLessThanOrEqual(INGEST_LIMITS.maxBodyBytes);
    }
  });

  it('drops an event whose gzip alone is over the body limit, without sending it', async () => {
    const ingest = await server();
    const { client, droppedNames } = makeClient({ endpoint: ingest.url });
    // Random characters from U+0800..U+D7FF: 3 bytes each in UTF-8, gzip keeps most of them.
    const noise = () => {
      const chars = new Uint16Array(262_144).map(() => 0x800 + Math.floor(Math.random() * 0xcfff));
      return Buffer.from(chars.buffer).toString('utf16le');
    };

    expect(client.capture(event('too-big', { prompt: noise(), response: noise() }))).toBe(true);
    client.capture(event('small'));
    await client.flush();

    expect(droppedNames('event_too_large')).toEqual(['too-big']);
    expect(names(ingest.delivered)).toEqual(['small']);
    for (const request of ingest.requests) {
      expect(request.bodyBytes).toBeLessThanOrEqual(INGEST_LIMITS.maxBodyBytes);
    }
  });

  it.each([
    { overflow: 'drop-newest' as const, dropped: ['e5', 'e6', 'e7'], kept: ['e0', 'e1', 'e2', 'e3', 'e4'] },
    { overflow: 'drop-oldest' as const, dropped: ['e0', 'e1', 'e2'], kept: ['e3', 'e4', 'e5', 'e6', 'e7'] },
  ])('applies $overflow when the queue is full', async ({ overflow, dropped, kept }) => {
    // Nothing is sent while capturing: no full batch, no timer due.
    const { client, droppedNames } = makeClient({
      endpoint: await closedPortUrl(),
      overflow,
      maxQueueEvents: 5,
      maxBatchEvents: 100,
      maxRetries: 100,
      flushIntervalMs: 60_000,
    });

    const queued = range(8).map((name) => client.capture(event(name)));

    expect(queued).toEqual(
      overflow === 'drop-newest' ? [...Array(5).fill(true), false, false, false] : Array(8).fill(true),
    );
    expect(droppedNames('queue_full')).toEqual(dropped);
    expect(client.stats()).toMatchObject({ queuedEvents: 5, captured: overflow === 'drop-newest' ? 5 : 8 });
    await client.shutdown({ timeoutMs: 100 });
    expect(droppedNames('shutdown')).toEqual(kept);
  });

  it('bounds the queue by bytes too', async () => {
    const { client, droppedNames } = makeClient({
      endpoint: await closedPortUrl(),
      maxQueueBytes: 3_500,
      maxBatchEvents: 100,
      flushIntervalMs: 60_000,
    });

    for (const name of range(5)) client.capture(event(name, { prompt: 'x'.repeat(900) }));

    expect(droppedNames('queue_full')).toEqual(['e3', 'e4']);
    expect(client.stats().queuedBytes).toBeLessThanOrEqual(3_500);
  });

  it.each(['drop-newest', 'drop-oldest'] as const)(
    'never holds more than maxQueueEvents while the server hangs (%s)',
    async (overflow) => {
      const ingest = await server(() => 'hang');
      const { client, drops } = makeClient({
        endpoint: ingest.url,
        overflow,
        maxQueueEvents: 20,
        maxBatchEvents: 5,
        maxConcurrentRequests: 1,
        requestTimeoutMs: 60_000,
      });

      let depth = 0;
      for (const name of range(200)) {
        client.capture(event(name));
        depth = Math.max(depth, client.stats().queuedEvents);
        if (Number(name.slice(1)) % 50 === 0) await new Promise((r) => setTimeout(r, 20));
      }

      expect(depth).toBeLessThanOrEqual(20);
      const dropped = drops.reduce((sum, d) => sum + d.events.length, 0);
      expect(client.stats().queuedEvents + dropped).toBe(200);
      await vi.waitFor(() => expect(ingest.requests).toHaveLength(1), { timeout: 5_000, interval: 20 });
      expect(client.stats().inFlightEvents).toBe(5);
      await client.shutdown({ timeoutMs: 100 });
      expect(client.stats().queuedEvents).toBe(0);
    },
  );
});

describe('EvalForgeClient capture checks', () => {
  it.each([
    { fault: 'a negative latency', extra: { latency_ms: -1 }, reason: 'latency_ms: must not be negative' },
    { fault: 'no model', extra: { model: undefined }, reason: 'model: is required' },
    { fault: 'an unknown field', extra: { latency: 3 }, reason: 'unknown field "latency"' },
    { fault: 'a bad trace id', extra: { trace_id: 'xyz' }, reason: 'trace_id: must be 32 hex characters' },
  ])('rejects an event with $fault at capture and sends nothing', async ({ extra, reason }) => {
    const ingest = await server();
    const { client, drops } = makeClient({ endpoint: ingest.url });

    expect(client.capture(event('bad', extra as Partial<CaptureEvent>))).toBe(false);
    await client.flush();

    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({
      code: 'invalid_event',
      events: [expect.objectContaining({ name: 'bad' })],
    });
    expect(drops[0]?.reason).toContain(reason);
    expect(ingest.requests).toHaveLength(0);
    expect(client.stats()).toMatchObject({ captured: 0, dropped: 1, droppedByCode: { invalid_event: 1 } });
  });

  it('does not let a throwing onDrop reach the application', async () => {
    const errors: Error[] = [];
    const client = new EvalForgeClient({
      apiKey: API_KEY,
      endpoint: await closedPortUrl(),
      onDrop: () => {
        throw new Error('callback bug');
      },
      onError: (error) => errors.push(error),
    });
    cleanups.push(() => client.shutdown({ timeoutMs: 100 }));

    expect(client.capture(event('bad', { latency_ms: -1 }))).toBe(false);
    expect(errors.map((e) => e.message)).toEqual(['onDrop threw: callback bug']);
  });

  it.each([
    { fault: 'neither endpoint nor region', options: {}, message: 'set either `endpoint`' },
    {
      fault: 'both endpoint and region',
      options: { endpoint: 'http://x', region: 'eu-west-1' },
      message: 'only one',
    },
    {
      fault: 'a batch over the server limit',
      options: { region: 'eu-west-1', maxBatchEvents: 20_000 },
      message: 'maxBatchEvents',
    },
    { fault: 'an empty API key', options: { region: 'eu-west-1', apiKey: '' }, message: 'apiKey' },
  ])('fails to construct with $fault', ({ options, message }) => {
    expect(() => new EvalForgeClient({ apiKey: API_KEY, ...options })).toThrow(EvalForgeConfigError);
    expect(() => new EvalForgeClient({ apiKey: API_KEY, ...options })).toThrow(message);
  });
});

describe('EvalForgeClient flush and shutdown', () => {
  it('gives up a flush at its timeout without dropping anything', async () => {
    const ingest = await server(() => 'hang');
    const { client, drops } = makeClient({ endpoint: ingest.url, requestTimeoutMs: 60_000 });

    client.capture(event('e0'));

    expect(await client.flush({ timeoutMs: 100 })).toBe(false);
    expect(drops).toEqual([]);
    expect(client.stats()).toMatchObject({ queuedEvents: 1, inFlightEvents: 1 });
    await client.shutdown({ timeoutMs: 50 });
    expect(drops.map((d) => d.code)).toEqual(['shutdown']);
  });

  it('resolves by its timeout while the server is down and reports what is left', async () => {
    const { client, drops, droppedNames } = makeClient({ endpoint: await closedPortUrl(), maxRetries: 100 });

    for (const name of range(3)) client.capture(event(name));
    const started = performance.now();
    await client.shutdown({ timeoutMs: 300 });

    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(droppedNames('shutdown')).toEqual(range(3));
    expect(drops.every((d) => d.reason.includes('300 ms'))).toBe(true);
    expect(client.stats()).toMatchObject({ queuedEvents: 0, sent: 0, dropped: 3 });
    expect(client.stats().retries).toBeGreaterThan(0);
  });

  it('does not keep an idle process alive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evalforge-sdk-'));
    try {
      const script = join(dir, 'idle.ts');
      const sdk = resolve(import.meta.dirname, '../../sdk/index.ts');
      writeFileSync(
        script,
        `import { EvalForgeClient } from ${JSON.stringify(sdk)};
const client = new EvalForgeClient({ apiKey: 'k', endpoint: 'http://127.0.0.1:9', flushIntervalMs: 600000 });
client.capture({ model: 'm', latency_ms: 1 });
console.log('captured');
`,
      );
      const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
        cwd: resolve(import.meta.dirname, '../..'),
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('captured\n');
      expect(run.signal).toBeNull();
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('EvalForgeClient.traceLlmCall', () => {
  it('records latency, tokens, response and status ok, returning the result', async () => {
    const ingest = await server();
    const { client } = makeClient({ endpoint: ingest.url });

    const result = await client.traceLlmCall(
      {
        model: 'gpt-4o-mini',
        name: 'summarise',
        prompt: 'Summarise this',
        extract: (r: { text: string; usage: { in: number; out: number } }) => ({
          input_tokens: r.usage.in,
          output_tokens: r.usage.out,
          response: r.text,
          model: undefined,
        }),
      },
      async () => {
        await new Promise((r) => setTimeout(r, 30));
        return { text: 'A summary', usage: { in: 12, out: 3 } };
      },
    );
    await client.flush();

    expect(result.text).toBe('A summary');
    const [recorded] = ingest.delivered;
    expect(recorded).toMatchObject({
      model: 'gpt-4o-mini',
      name: 'summarise',
      prompt: 'Summarise this',
      response: 'A summary',
      input_tokens: 12,
      output_tokens: 3,
      status: 'ok',
    });
    expect(recorded?.latency_ms).toBeGreaterThanOrEqual(25);
    expect(typeof recorded?.timestamp).toBe('string');
  });

  it('records status error with the message and rethrows the same error', async () => {
    const ingest = await server();
    const { client } = makeClient({ endpoint: ingest.url });
    const failure = new Error('rate limited by provider');

    await expect(
      client.traceLlmCall({ model: 'gpt-4o-mini' }, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    await client.flush();

    expect(ingest.delivered).toEqual([
      expect.objectContaining({
        status: 'error',
        error_message: 'rate limited by provider',
        model: 'gpt-4o-mini',
      }),
    ]);
    expect(ingest.delivered[0]?.latency_ms).toBeGreaterThanOrEqual(0);
  });
});
