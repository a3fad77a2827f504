import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey } from '../../functions/shared/auth/api-keys.js';
import { FileKeyStore } from '../../functions/shared/auth/key-store-file.js';
import { parseArchiveObjectKey } from '../../functions/shared/contract/archive-layout.js';
import type { EventInput } from '../../functions/shared/contract/event.js';
import { eventGenerator, seededRandom } from '../../lib/workloads/event-generator.js';
import { LOCAL_NAMES, type Pipeline, startPipeline } from '../../local/pipeline.js';
import { EvalForgeClient } from '../../sdk/index.js';
import { archivedSpans, listKeys } from '../helpers/archive.js';
import { rows } from '../helpers/clickhouse.js';

/**
 * The whole local pipeline, as `npm start` runs it, driven by the SDK through a proxy that loses
 * answers and refuses requests now and then, so clients resend: what must come out is every
 * event exactly once in ClickHouse, all of them in the archive, and the query API's numbers.
 */
const PROJECTS = ['acme', 'globex', 'initech'] as const;
const TOTAL = 20_000;

let dir: string;
let pipeline: Pipeline;
let proxy: Server;
let proxyUrl: string;
const keys = new Map<string, string>();
const proxied = { requests: 0, refused: 0, answersLost: 0 };

/**
 * Forwards to the pipeline; every 9th request is refused with a 503 before it reaches the API,
 * and every 13th is forwarded and then its answer is lost (the connection is cut).
 */
async function startFaultyProxy(target: string): Promise<void> {
  proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const n = ++proxied.requests;
    if (n % 9 === 0) {
      proxied.refused++;
      res.writeHead(503, { 'retry-after': '0', 'content-type': 'application/json' });
      res.end('{"error":{"code":"unavailable","message":"injected"}}');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers[name] = value;
    }
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    if (n % 13 === 0) {
      proxied.answersLost++;
      req.socket.destroy();
      return;
    }
    res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
    res.end(body);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

/** Events of one project, with timestamps spread over the last 20 minutes. */
function projectEvents(count: number, seed: number): EventInput[] {
  const random = seededRandom(seed);
  const base = Date.now() - 5_000;
  const generator = eventGenerator({ seed, now: () => base - Math.floor(random() * 20 * 60_000) });
  return Array.from({ length: count }, () => generator.next());
}

const sent = new Map<string, EventInput[]>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-pipeline-'));
  const store = new FileKeyStore(join(dir, 'data', 'keys.json'));
  for (const project of PROJECTS) {
    const { key, record } = newApiKey(project, new Date());
    await store.put(record);
    keys.set(project, key);
  }
  pipeline = await startPipeline({
    dataDir: join(dir, 'data'),
    port: 0,
    shards: 3,
    archive: { bufferSizeBytes: 4 * 1024 * 1024, bufferIntervalMs: 1_000 },
    pollIntervalMs: 50,
  });
  await startFaultyProxy(pipeline.url);
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await pipeline?.close({ drain: false });
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm start pipeline, end to end', () => {
  it('takes 20,000 events from SDK clients that resend, and loads each exactly once', async () => {
    const clients = PROJECTS.map(
      (project) =>
        new EvalForgeClient({
          apiKey: keys.get(project) ?? '',
          endpoint: proxyUrl,
          maxBatchEvents: 150,
          initialBackoffMs: 20,
          maxBackoffMs: 200,
          maxRetries: 10,
        }),
    );
    const shares = [7_000, 7_000, TOTAL - 14_000];
    PROJECTS.forEach((project, i) => {
      const events = projectEvents(shares[i] ?? 0, 100 + i);
      sent.set(project, events);
      for (const event of events) expect(clients[i]?.capture(event)).toBe(true);
    });
    await Promise.all(clients.map((client) => client.shutdown({ timeoutMs: 120_000 })));

    const stats = clients.map((client) => client.stats());
    expect(stats.map((s) => s.dropped)).toEqual([0, 0, 0]);
    expect(stats.reduce((n, s) => n + s.sent, 0)).toBe(TOTAL);
    expect(stats.reduce((n, s) => n + s.retries, 0)).toBeGreaterThan(0);
    expect(proxied.refused).toBeGreaterThan(0);
    expect(proxied.answersLost).toBeGreaterThan(0);

    await pipeline.settle(120_000);
    const [counts] = await rows<{ events: number; distinct: number }>(
      pipeline.clickhouse,
      'SELECT count() AS events, uniqExact(project_id, trace_id, span_id) AS distinct FROM events',
    );
    expect(counts).toEqual({ events: TOTAL, distinct: TOTAL });
    const perProject = await rows<{ project_id: string; events: number }>(
      pipeline.clickhouse,
      'SELECT project_id, count() AS events FROM events GROUP BY project_id ORDER BY project_id',
    );
    expect(perProject).toEqual(PROJECTS.map((project, i) => ({ project_id: project, events: shares[i] })));
  }, 240_000);

  it('archives every event under the delivery stream key layout', async () => {
    const keysInBucket = await listKeys(pipeline.s3, LOCAL_NAMES.bucket);
    expect(keysInBucket.length).toBeGreaterThan(0);
    for (const key of keysInBucket) expect(() => parseArchiveObjectKey(key)).not.toThrow();
    const archived = await archivedSpans(pipeline.s3, LOCAL_NAMES.bucket);
    for (const project of PROJECTS) {
      const spans = archived.get(project);
      const expected = new Set((sent.get(project) ?? []).map((e) => e.span_id));
      // Each acknowledged event is archived; an answer the client lost means its events were
      // accepted twice, and the raw archive keeps both copies as Firehose would.
      expect(new Set(spans?.keys())).toEqual(expected);
    }
  });

  it("answers each project's per-minute metrics with the numbers computed from what it sent", async () => {
    for (const project of PROJECTS) {
      const response = await fetch(`${pipeline.url}/v1/metrics?window=1h`, {
        headers: { authorization: `Bearer ${keys.get(project)}` },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        series: { time: string; model: string; requests: number; errors: number; latency_ms_max: number }[];
      };
      const truth = new Map<string, { requests: number; errors: number; latency_ms_max: number }>();
      for (const event of sent.get(project) ?? []) {
        const minute = new Date(
          Math.floor(Date.parse(String(event.timestamp)) / 60_000) * 60_000,
        ).toISOString();
        const key = `${minute} ${event.model}`;
        const cell = truth.get(key) ?? { requests: 0, errors: 0, latency_ms_max: 0 };
        cell.requests++;
        if (event.status === 'error') cell.errors++;
        cell.latency_ms_max = Math.max(cell.latency_ms_max, Number(event.latency_ms));
        truth.set(key, cell);
      }
      const answered = new Map(
        body.series.map((s) => [
          `${new Date(s.time).toISOString()} ${s.model}`,
          { requests: s.requests, errors: s.errors, latency_ms_max: s.latency_ms_max },
        ]),
      );
      expect(answered).toEqual(truth);
    }
  });

  it('serves its running figures at GET /metrics in the Prometheus text format, to an API key only', async () => {
    const scrape = await fetch(`${pipeline.url}/metrics`, {
      headers: { authorization: `Bearer ${keys.get('acme')}` },
    });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scrape.text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const stats = pipeline.stats();
    expect(value('evalforge_events_loaded_total')).toBe(stats.eventsLoaded);
    expect(value('evalforge_events_loaded_total')).toBeGreaterThanOrEqual(TOTAL);
    expect(value('evalforge_events_accepted_total')).toBe(stats.eventsAccepted);
    expect(text).toContain('# TYPE evalforge_loader_lag_seconds gauge');
    const anonymous = await fetch(`${pipeline.url}/metrics`);
    expect(anonymous.status).toBe(401);
  });

  it("keeps tenants apart: a project's key can neither write to nor read another project", async () => {
    const acme = keys.get('acme') ?? '';
    const write = await fetch(`${pipeline.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acme}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [eventGenerator({ seed: 9, projectId: 'globex' }).next()] }),
    });
    const written = (await write.json()) as { accepted?: number; errors?: { message: string }[] };
    expect(write.status).not.toBe(200);
    expect(JSON.stringify(written)).toMatch(/globex/);

    const read = await fetch(`${pipeline.url}/v1/metrics?window=1h&project=globex`, {
      headers: { authorization: `Bearer ${acme}` },
    });
    expect(read.status).toBe(403);

    await pipeline.settle(60_000);
    const [globex] = await rows<{ events: number }>(
      pipeline.clickhouse,
      "SELECT count() AS events FROM events WHERE project_id = 'globex'",
    );
    expect(globex?.events).toBe(7_000);
  });
});
