import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { planBatches } from '../../load-tests/planner.js';
import { type RunnerOptions, runLoad } from '../../load-tests/runner.js';
import { constantScenario } from '../../load-tests/scenarios.js';

/**
 * The runner against a scripted ingest server on loopback: the server answers each request as
 * the test says (503s, partial answers, dropped connections) and stores what it accepted once
 * per Idempotency-Key, as EvalForge does; the runner's counts must match what it stored.
 */

type Answer = 'ok' | '503' | 'first-event-throttled' | 'drop' | '400';

interface Scripted {
  readonly url: string;
  readonly stored: Map<string, number>;
  readonly requests: { key: string; events: number }[];
}

let server: Server | undefined;
/** How many distinct load_batch values each request carried: always 1, a request is one batch. */
const batches = new Set<number>();
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function scriptedServer(answer: (request: number) => Answer): Promise<Scripted> {
  const stored = new Map<string, number>();
  const seenKeys = new Set<string>();
  const requests: { key: string; events: number }[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key']);
      const events = gunzipSync(Buffer.concat(chunks))
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { trace_id: string; span_id: string; metadata: Record<string, string> });
      batches.add(new Set(events.map((e) => e.metadata.load_batch)).size);
      requests.push({ key, events: events.length });
      const store = (list: typeof events) => {
        if (seenKeys.has(key)) return;
        seenKeys.add(key);
        for (const e of list)
          stored.set(`${e.trace_id}/${e.span_id}`, (stored.get(`${e.trace_id}/${e.span_id}`) ?? 0) + 1);
      };
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      switch (answer(requests.length)) {
        case 'ok':
          store(events);
          return json(200, { accepted: events.length, rejected: 0, errors: [] });
        case '503':
          return json(503, { error: { code: 'throttled', message: 'busy' } }, { 'retry-after': '0' });
        case 'first-event-throttled':
          store(events.slice(1));
          return json(200, {
            accepted: events.length - 1,
            rejected: 1,
            errors: [{ index: 0, code: 'throttled', message: 'stream busy', retryable: true }],
          });
        case 'drop':
          // Stored, but the answer is lost: the resend under the same key must not store it twice.
          store(events);
          return req.socket.destroy();
        case '400':
          return json(400, { error: { code: 'bad_request', message: 'no' } });
      }
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, stored, requests };
}

const options = (url: string, overrides: Partial<RunnerOptions> = {}): RunnerOptions => ({
  url,
  projects: [
    { apiKey: 'k1', label: 'p1' },
    { apiKey: 'k2', label: 'p2' },
  ],
  scenario: constantScenario(200, 2, 2),
  runId: 'run-1',
  connections: 4,
  gzipLevel: 1,
  maxRetries: 5,
  backoff: { initialBackoffMs: 5, maxBackoffMs: 20 },
  timeoutMs: 5_000,
  maxInFlight: 100,
  limits: { maxEvents: 50, maxRawBytes: 2_700_000, flushIntervalMs: 1_000 },
  generate: 'ahead',
  sizes: 'spread',
  seed: 3,
  probes: false,
  probeTimeoutMs: 1_000,
  ...overrides,
});

describe('runLoad', () => {
  it.each(['ahead', 'live'] as const)(
    'ends with every event acknowledged and stored once through 503s, partial answers and lost answers (%s)',
    async (generate) => {
      const answers: Answer[] = ['ok', '503', 'first-event-throttled', 'drop', 'ok', 'ok'];
      const s = await scriptedServer((n) => answers[n % answers.length] ?? 'ok');
      const r = await runLoad(options(s.url, { generate }));
      expect(r.tally.offered).toBe(400);
      expect(r.tally.acknowledged).toBe(400);
      expect(r.tally).toMatchObject({ refused: 0, inDoubt: 0, unsent: 0, rejected: {} });
      expect(s.stored.size).toBe(400);
      expect([...s.stored.values()].every((n) => n === 1)).toBe(true);
      expect(r.tally.statuses['503']).toBeGreaterThan(0);
      expect(r.tally.statuses['network error']).toBeGreaterThan(0);
      expect(r.tally.retries).toBeGreaterThan(0);
      expect(r.tally.requests).toBe(s.requests.length);
      expect(r.latency.count).toBe(s.requests.length);
      expect(r.perProject.reduce((n, p) => n + p.acknowledged, 0)).toBe(400);
      expect(r.generation.mode).toBe(generate);
      // Request figures count each planned request once, however often parts of it were resent.
      const o = options(s.url);
      const planned = [...planBatches(o.scenario, o.limits, () => '{}')];
      expect(r.generation.meanEventsPerRequest).toBe(400 / planned.length);
      expect(r.generation.compressionRatio).toBeGreaterThan(2);
      expect([...batches]).toEqual([1]);
    },
  );

  it('counts events still refused after every retry as refused, not in doubt', async () => {
    const s = await scriptedServer(() => '503');
    const r = await runLoad(options(s.url, { maxRetries: 1 }));
    expect(r.tally).toMatchObject({ acknowledged: 0, refused: 400, inDoubt: 0 });
    // Each request: its first attempt and one retry.
    expect(r.tally.requests).toBe(s.requests.length);
    expect(r.tally.retries * 2).toBe(s.requests.length);
  });

  it('counts events whose last attempt got no answer as in doubt', async () => {
    const s = await scriptedServer(() => 'drop');
    const r = await runLoad(options(s.url, { maxRetries: 0 }));
    expect(r.tally).toMatchObject({ acknowledged: 0, refused: 0, inDoubt: 400 });
    expect(r.perProject.reduce((n, p) => n + p.inDoubt, 0)).toBe(400);
    // Each request in doubt is named by the batch number its events carry in metadata.load_batch.
    const doubtful = r.perProject.flatMap((p) => p.doubtful);
    expect(doubtful).toHaveLength(s.requests.length);
    expect(doubtful.reduce((n, b) => n + b.inDoubt, 0)).toBe(400);
    expect(new Set(doubtful.map((b) => b.batch)).size).toBe(doubtful.length);
    expect(doubtful.every((b) => b.acknowledged === 0)).toBe(true);
  });

  it('counts a request the server rejects for good under its status', async () => {
    const s = await scriptedServer(() => '400');
    const r = await runLoad(options(s.url));
    expect(r.tally.rejected).toEqual({ 'HTTP 400': 400 });
    expect(r.tally.retries).toBe(0);
  });

  it('sends on schedule whatever the answers: the open model', async () => {
    const s = await scriptedServer(() => 'ok');
    const r = await runLoad(
      options(s.url, { scenario: constantScenario(400, 2, 1), projects: [{ apiKey: 'k', label: 'p' }] }),
    );
    // 800 events in batches of 50, due every 125 ms.
    expect(s.requests.map((q) => q.events)).toEqual(new Array(16).fill(50));
    // Every first attempt's lag against its due time is measured.
    expect(r.scheduleLag.count).toBe(16);
    expect(r.elapsedSec).toBeGreaterThanOrEqual(1.8);
    expect(r.elapsedSec).toBeLessThan(4);
  });

  it('counts batches due beyond the in-flight cap as unsent', async () => {
    // A server that never answers within the run: every socket stays busy.
    server = createServer(() => {});
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const r = await runLoad(
      options(`http://127.0.0.1:${port}`, { maxInFlight: 2, maxRetries: 0, timeoutMs: 3_000 }),
    );
    expect(r.tally.sent).toBe(100);
    expect(r.tally.unsent).toBe(300);
    expect(r.tally.inDoubt).toBe(100);
    server.closeAllConnections();
  });
});
