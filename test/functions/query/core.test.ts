import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleQueryRequest, QUERY_API_LIMITS, type QueryDeps } from '../../../functions/query/core.js';
import { QUERY_LIMITS } from '../../../functions/query/queries.js';
import { type ApiKeyRecord, type KeyStore, newApiKey } from '../../../functions/shared/auth/api-keys.js';
import {
  checkEvent,
  type EventInput,
  type NormalizedEvent,
} from '../../../functions/shared/contract/event.js';
import type { HttpRequest } from '../../../functions/shared/http.js';
import { eventGenerator, seededRandom } from '../../../lib/workloads/event-generator.js';
import { embeddedClickHouse, insertIngestRows } from '../../helpers/clickhouse.js';

/**
 * The query API against the real embedded engine: events of two projects inserted the way the
 * loader inserts them, every figure compared with ground truth computed here from those events.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// Rows expire some days after their timestamp, so the data sits just before the real clock,
// and the API's clock is held there.
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE + 17_250;
/** The end of NOW's minute: where a `window` ends. */
const MINUTE_END = Math.floor(NOW / MINUTE) * MINUTE + MINUTE;
/** The end of NOW's hour: where a series by the hour ends. */
const HOUR_END = Math.ceil(MINUTE_END / HOUR) * HOUR;

const A = 'proj-a';
const B = 'proj-b';
const MODELS_A = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4'] as const;
const MODEL_B_ONLY = 'b-private-model';

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (text: string) => Date.parse(text);

// ---------------------------------------------------------------------------------------------
// The data set

interface Sent {
  readonly raw: EventInput;
  readonly event: NormalizedEvent;
}

function buildDataSet() {
  const random = seededRandom(11);
  const generator = eventGenerator({ seed: 5 });
  const sent: Sent[] = [];
  const add = (project: string, overrides: Partial<EventInput>): NormalizedEvent => {
    const raw = generator.next({ error_message: undefined, status: 'ok', ...overrides });
    const checked = checkEvent(JSON.parse(JSON.stringify(raw)), project);
    if (!checked.ok) throw new Error(`test event is invalid: ${checked.reason}`);
    sent.push({ raw, event: checked.event });
    return checked.event;
  };
  const latency = (scale: number) => Math.round((40 + scale * random() ** 3) * 1_000) / 1_000;
  const failure = (rate: number) =>
    random() < rate ? { status: 'error' as const, error_message: 'upstream 429' } : {};

  // A: 200 calls over the last 50 minutes, up to the current instant.
  for (let i = 0; i < 200; i++) {
    add(A, {
      model: MODELS_A[Math.floor(random() * MODELS_A.length)] as string,
      timestamp: iso(NOW - Math.floor(random() * 50 * MINUTE)),
      latency_ms: latency(3_000),
      ...failure(0.15),
    });
  }
  // B: slower, failing more often, one model of its own: any of it leaking into A's answers shows.
  for (let i = 0; i < 120; i++) {
    add(B, {
      model: i % 2 === 0 ? MODEL_B_ONLY : 'gpt-4o',
      timestamp: iso(NOW - Math.floor(random() * 50 * MINUTE)),
      latency_ms: 50_000 + latency(3_000),
      ...failure(0.5),
    });
  }
  // The bounds of a one-hour window: in it at its first millisecond and in the current minute,
  // out of it a millisecond before.
  const edges = {
    atFrom: add(A, { model: 'gpt-4o', timestamp: iso(MINUTE_END - HOUR), latency_ms: 123.5 }),
    beforeFrom: add(A, { model: 'gpt-4o', timestamp: iso(MINUTE_END - HOUR - 1), latency_ms: 77 }),
    now: add(A, { model: 'gpt-4o-mini', timestamp: iso(NOW), latency_ms: 99.25 }),
  };
  // Older calls for the hourly series, and one outside a day.
  for (let h = 3; h <= 5; h++) {
    add(A, { model: 'gpt-4o', timestamp: iso(NOW - h * HOUR - 5 * MINUTE), latency_ms: 1_000 * h });
  }
  const twoDaysAgo = add(A, { model: 'gpt-4o', timestamp: iso(NOW - 48 * HOUR), latency_ms: 10 });

  // A trace of three spans in A, and a trace id used in both projects.
  const root = add(A, { model: 'gpt-4o', timestamp: iso(NOW - 10 * MINUTE), latency_ms: 500 });
  for (let c = 1; c <= 2; c++) {
    add(A, {
      trace_id: root.trace_id,
      parent_span_id: root.span_id,
      model: 'gpt-4o-mini',
      timestamp: iso(NOW - 10 * MINUTE + c * 100),
      latency_ms: 100,
    });
  }
  const sharedA = add(A, { model: 'gpt-4o', timestamp: iso(NOW - 20 * MINUTE), latency_ms: 300 });
  add(B, {
    trace_id: sharedA.trace_id,
    model: MODEL_B_ONLY,
    timestamp: iso(NOW - 20 * MINUTE),
    latency_ms: 300,
  });
  const onlyB = add(B, { model: MODEL_B_ONLY, timestamp: iso(NOW - 30 * MINUTE), latency_ms: 300 });

  // A load run 30 hours back, outside every window the other routes are asked for: five calls
  // of A, two of them stored twice, and three of B tagged with the same run.
  const loadRun = { from: NOW - 30 * HOUR, to: NOW - 30 * HOUR + 10 * MINUTE, id: 'run-7f3a' };
  const runCalls = [A, A, A, A, A, B, B, B].map((project, i) =>
    add(project, {
      model: project === A ? 'gpt-4o' : MODEL_B_ONLY,
      timestamp: iso(loadRun.from + i * MINUTE),
      latency_ms: 200,
      metadata: { load_run: loadRun.id, deploy: { id: i % 2 === 0 ? 7 : '8' } },
    }),
  );
  const storedAgain = sent.filter((s) => runCalls.slice(0, 2).includes(s.event));
  return {
    sent,
    loadRun,
    storedAgain,
    edges,
    twoDaysAgo,
    traceA: root.trace_id,
    sharedTrace: sharedA.trace_id,
    traceB: onlyB.trace_id,
  };
}

const DATA = buildDataSet();
const EVENTS = DATA.sent.map((s) => s.event);

function within(project: string, from: number, to: number): NormalizedEvent[] {
  return EVENTS.filter((e) => e.project_id === project && ms(e.timestamp) >= from && ms(e.timestamp) < to);
}

const sum = (values: number[]) => values.reduce((total, v) => total + v, 0);

/** Ground truth of a series: per bucket and model, ordered as the API orders them. */
function expectedSeries(events: NormalizedEvent[], bucketMs: number) {
  const groups = new Map<string, NormalizedEvent[]>();
  for (const e of events) {
    const key = `${iso(Math.floor(ms(e.timestamp) / bucketMs) * bucketMs)} ${e.model}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, group]) => ({
      key,
      requests: group.length,
      errors: group.filter((e) => e.status === 'error').length,
      latencySum: sum(group.map((e) => e.latency_ms)),
      latencyMax: Math.max(...group.map((e) => e.latency_ms)),
    }));
}

// ---------------------------------------------------------------------------------------------
// The engine, the keys, and requests

let engine: Awaited<ReturnType<typeof embeddedClickHouse>>;
let deps: QueryDeps;

const keyA = newApiKey(A, new Date(NOW - HOUR));
const keyB = newApiKey(B, new Date(NOW - HOUR));
const revoked = newApiKey(A, new Date(NOW - HOUR));
const records = new Map<string, ApiKeyRecord>([
  [keyA.record.keyId, keyA.record],
  [keyB.record.keyId, keyB.record],
  [revoked.record.keyId, { ...revoked.record, revokedAt: iso(NOW - MINUTE) }],
]);
const keys: KeyStore = { findByKeyId: async (keyId) => records.get(keyId) };

/** Inserts as the loader does: client events plus the record header's fields, into the Null table. */
async function insert(client: ClickHouseClient, batch: Sent[]): Promise<void> {
  await insertIngestRows(
    client,
    batch.map(({ raw, event }) => ({
      ...raw,
      _project_id: event.project_id,
      _received_at: iso(NOW),
      _request_id: 'request-1',
      _request_key: 'key-1',
    })),
  );
}

beforeAll(async () => {
  engine = await embeddedClickHouse();
  await insert(engine.client, DATA.sent);
  await insert(engine.client, DATA.storedAgain);
  deps = { keys, clickhouse: engine.client, now: () => NOW };
});

afterAll(async () => {
  await engine?.close();
});

function request(path: string, options: { key?: string | null; method?: string } = {}): HttpRequest {
  const key = options.key === undefined ? keyA.key : options.key;
  return {
    method: options.method ?? 'GET',
    path,
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
    body: Buffer.alloc(0),
  };
}

async function get(path: string, options: { key?: string | null; method?: string; with?: QueryDeps } = {}) {
  const { response, summary } = await handleQueryRequest(request(path, options), options.with ?? deps);
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
  const body = response.body === '' ? undefined : (JSON.parse(response.body) as any);
  return { status: response.statusCode, headers: response.headers, body, summary };
}

// ---------------------------------------------------------------------------------------------

describe('GET /v1/metrics', () => {
  it('answers per-minute counts and sums equal to ground truth, the current minute included', async () => {
    const { status, headers, body, summary } = await get('/v1/metrics?window=1h');

    expect(status).toBe(200);
    expect(headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(body).toMatchObject({
      project: A,
      from: iso(MINUTE_END - HOUR),
      to: iso(MINUTE_END),
      step: 'minute',
    });
    const expected = expectedSeries(within(A, MINUTE_END - HOUR, MINUTE_END), MINUTE);
    expect(expected.length).toBeGreaterThan(50);
    expect(body.series.map((p: { time: string; model: string }) => `${p.time} ${p.model}`)).toEqual(
      expected.map((g) => g.key),
    );
    body.series.forEach((point: Record<string, number>, i: number) => {
      const group = expected[i];
      expect(point.requests).toBe(group?.requests);
      expect(point.errors).toBe(group?.errors);
      expect((point.latency_ms_avg ?? 0) * (point.requests ?? 0)).toBeCloseTo(group?.latencySum ?? -1, 6);
      expect(point.latency_ms_max).toBe(group?.latencyMax);
    });
    expect(summary).toMatchObject({ route: 'metrics', statusCode: 200, projectId: A, rows: expected.length });

    // The bounds: the window's first millisecond is in, the one before is out, the current minute is in.
    const point = (time: number, model: string) =>
      body.series.find((p: { time: string; model: string }) => p.time === iso(time) && p.model === model);
    expect(point(MINUTE_END - HOUR, 'gpt-4o')).toBeDefined();
    expect(body.series.some((p: { time: string }) => ms(p.time) < MINUTE_END - HOUR)).toBe(false);
    expect(point(MINUTE_END - MINUTE, 'gpt-4o-mini')).toBeDefined();
    const total = sum(body.series.map((p: { requests: number }) => p.requests));
    expect(total).toBe(within(A, MINUTE_END - HOUR, MINUTE_END).length);
    expect(total).toBe(within(A, MINUTE_END - HOUR - 1, MINUTE_END).length - 1);
  });

  it('answers a series by the hour for windows over 6h, ending with the current hour', async () => {
    const { status, body } = await get('/v1/metrics?window=24h');

    expect(status).toBe(200);
    expect(body).toMatchObject({ step: 'hour', from: iso(HOUR_END - 24 * HOUR), to: iso(HOUR_END) });
    const expected = expectedSeries(within(A, HOUR_END - 24 * HOUR, HOUR_END), HOUR);
    expect(body.series.map((p: { time: string; model: string }) => `${p.time} ${p.model}`)).toEqual(
      expected.map((g) => g.key),
    );
    expect(body.series.map((p: { requests: number }) => p.requests)).toEqual(expected.map((g) => g.requests));
    expect(body.series.map((p: { errors: number }) => p.errors)).toEqual(expected.map((g) => g.errors));
    expect(within(A, HOUR_END - 24 * HOUR, HOUR_END)).not.toContain(DATA.twoDaysAgo);
  });

  it('takes step=minute up to 24h, step=hour for shorter windows, and explicit from and to', async () => {
    const byMinute = await get('/v1/metrics?window=12h&step=minute');
    expect(byMinute.body).toMatchObject({ step: 'minute', from: iso(MINUTE_END - 12 * HOUR) });
    const byHour = await get('/v1/metrics?window=2h&step=hour');
    expect(byHour.body).toMatchObject({ step: 'hour', from: iso(HOUR_END - 2 * HOUR), to: iso(HOUR_END) });

    const from = iso(MINUTE_END - 30 * MINUTE);
    const to = iso(MINUTE_END - 10 * MINUTE);
    const explicit = await get(`/v1/metrics?from=${from}&to=${to}`);
    expect(explicit.status).toBe(200);
    expect(explicit.body).toMatchObject({ from, to, step: 'minute' });
    expect(sum(explicit.body.series.map((p: { requests: number }) => p.requests))).toBe(
      within(A, ms(from), ms(to)).length,
    );
    // The same instants written with an offset, "+" encoded; and with "+" left as a space.
    const offset = (t: string) => `${new Date(ms(t) + 2 * HOUR).toISOString().slice(0, 19)}+02:00`;
    for (const plus of ['%2B', '+']) {
      const shifted = await get(
        `/v1/metrics?from=${offset(from).replace('+', plus)}&to=${offset(to).replace('+', plus)}`,
      );
      expect(shifted.body).toMatchObject({ from, to, series: explicit.body.series });
    }
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const { status, headers, body } = await get('/v1/metrics', { method: 'HEAD' });
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('application/json');
    expect(body).toBeUndefined();
  });
});

describe('the other routes', () => {
  const window = { from: MINUTE_END - HOUR, to: MINUTE_END };

  it('GET /v1/summary: totals over the window', async () => {
    const { status, body } = await get('/v1/summary?window=1h');
    const events = within(A, window.from, window.to);
    expect(status).toBe(200);
    expect(body).toMatchObject({ project: A, from: iso(window.from), to: iso(window.to) });
    expect(body.summary).toMatchObject({
      requests: events.length,
      errors: events.filter((e) => e.status === 'error').length,
      input_tokens: sum(events.map((e) => e.input_tokens)),
      output_tokens: sum(events.map((e) => e.output_tokens)),
      latency_ms_max: Math.max(...events.map((e) => e.latency_ms)),
    });
    expect(body.summary.cost_cents).toBeCloseTo(sum(events.map((e) => e.cost_cents)), 6);
  });

  it('GET /v1/summary: a window over 6h is aligned as the hourly series is, so their totals agree', async () => {
    const summary = await get('/v1/summary?window=24h');
    const series = await get('/v1/metrics?window=24h');
    expect(summary.body).toMatchObject({ from: series.body.from, to: series.body.to });
    expect(summary.body.summary.requests).toBe(
      sum(series.body.series.map((p: { requests: number }) => p.requests)),
    );
    expect(summary.body.summary.requests).toBe(within(A, HOUR_END - 24 * HOUR, HOUR_END).length);
  });

  it('GET /v1/models: requests and tokens per model', async () => {
    const { status, body } = await get('/v1/models?window=1h');
    const events = within(A, window.from, window.to);
    expect(status).toBe(200);
    const models = new Map(body.models.map((m: { model: string }) => [m.model, m]));
    expect([...models.keys()].sort()).toEqual([...new Set(events.map((e) => e.model))].sort());
    for (const [model, usage] of models) {
      const own = events.filter((e) => e.model === model);
      expect(usage).toMatchObject({
        requests: own.length,
        total_tokens: sum(own.map((e) => e.tokens_used)),
      });
    }
  });

  it('GET /v1/calls/slowest and /v1/calls/failed: the right calls, in order, up to limit', async () => {
    const events = within(A, window.from, window.to);
    const slowest = await get('/v1/calls/slowest?window=1h&limit=5');
    expect(slowest.status).toBe(200);
    expect(slowest.body).toMatchObject({ project: A, limit: 5 });
    const bySlowest = [...events].sort((a, b) => b.latency_ms - a.latency_ms);
    expect(slowest.body.calls.map((c: { span_id: string }) => c.span_id)).toEqual(
      bySlowest.slice(0, 5).map((e) => e.span_id),
    );

    const failed = await get('/v1/calls/failed?window=1h&limit=1000');
    const failures = events.filter((e) => e.status === 'error');
    expect(failures.length).toBeGreaterThan(10);
    expect(failed.body.calls).toHaveLength(failures.length);
    expect(new Set(failed.body.calls.map((c: { span_id: string }) => c.span_id))).toEqual(
      new Set(failures.map((e) => e.span_id)),
    );
    const defaultLimit = await get('/v1/calls/slowest?window=1h');
    expect(defaultLimit.body.calls).toHaveLength(Math.min(QUERY_LIMITS.defaultRows, events.length));
  });

  it('GET /v1/traces/<trace_id>: every span of the trace, the id also accepted as a UUID', async () => {
    const { status, body } = await get(`/v1/traces/${DATA.traceA}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ project: A, trace_id: DATA.traceA });
    expect(body.spans).toHaveLength(3);
    expect(body.spans[0]).toHaveProperty('prompt');

    const t = DATA.traceA.toUpperCase();
    const uuid = `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`;
    expect((await get(`/v1/traces/${uuid}`)).body.spans).toEqual(body.spans);
  });
});

describe('GET /v1/calls/count', () => {
  const window = { from: MINUTE_END - HOUR, to: MINUTE_END };
  const { loadRun } = DATA;
  const runWindow = `from=${iso(loadRun.from)}&to=${iso(loadRun.to)}`;
  const metadataOf = (e: NormalizedEvent) => e.metadata as Record<string, unknown>;

  it('counts the calls of a load run, each call stored twice counted as a duplicate', async () => {
    const { status, headers, body, summary } = await get(
      `/v1/calls/count?${runWindow}&metadata.load_run=run-7f3a`,
    );

    expect(status).toBe(200);
    expect(headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(body).toEqual({
      project: A,
      from: iso(loadRun.from),
      to: iso(loadRun.to),
      metadata: { load_run: 'run-7f3a' },
      calls: 7,
      distinct_calls: 5,
      duplicate_calls: 2,
    });
    expect(summary).toMatchObject({ route: 'calls_count', statusCode: 200, projectId: A, rows: 1 });
  });

  it('bounds the window to the millisecond', async () => {
    // Calls 1 to 3 of the run: call 0 sits 1 ms before from, call 4 at to; call 1 is stored twice.
    const from = iso(loadRun.from + 1);
    const to = iso(loadRun.from + 4 * MINUTE);
    const { body } = await get(`/v1/calls/count?from=${from}&to=${to}&metadata.load_run=run-7f3a`);
    expect(body).toMatchObject({ from, to, calls: 4, distinct_calls: 3, duplicate_calls: 1 });
  });

  it('takes a window, and without filters counts every call in it', async () => {
    const events = within(A, window.from, window.to);
    const { status, body } = await get('/v1/calls/count?window=1h');

    expect(status).toBe(200);
    expect(body).toEqual({
      project: A,
      from: iso(window.from),
      to: iso(window.to),
      metadata: {},
      calls: events.length,
      distinct_calls: events.length,
      duplicate_calls: 0,
    });
  });

  it('matches every filter, nested paths, and numbers by their text', async () => {
    const chat = within(A, window.from, window.to).filter((e) => metadataOf(e).feature === 'chat');
    const experiment = String(metadataOf(chat[0] as NormalizedEvent).experiment);
    const both = chat.filter((e) => metadataOf(e).experiment === experiment);
    expect(chat.length).toBeGreaterThan(both.length);
    expect(both.length).toBeGreaterThan(0);

    const one = await get('/v1/calls/count?window=1h&metadata.feature=chat');
    expect(one.body).toMatchObject({ metadata: { feature: 'chat' }, calls: chat.length });
    const two = await get(
      `/v1/calls/count?window=1h&metadata.feature=chat&metadata.experiment=${experiment}`,
    );
    expect(two.body).toMatchObject({
      metadata: { feature: 'chat', experiment },
      calls: both.length,
      distinct_calls: both.length,
    });
    // The generator's temperature is the number 0.7 on every call.
    const temperature = await get('/v1/calls/count?window=1h&metadata.temperature=0.7');
    expect(temperature.body.calls).toBe(within(A, window.from, window.to).length);
    // deploy.id is 7 (a number) on calls 0, 2 and 4 of the run, "8" (a string) on calls 1 and 3.
    const seven = await get(`/v1/calls/count?${runWindow}&metadata.deploy.id=7&metadata.load_run=run-7f3a`);
    expect(seven.body).toMatchObject({ metadata: { 'deploy.id': '7', load_run: 'run-7f3a' }, calls: 4 });
    const eight = await get(`/v1/calls/count?${runWindow}&metadata.deploy.id=8`);
    expect(eight.body).toMatchObject({ calls: 3, distinct_calls: 2, duplicate_calls: 1 });
  });

  it('matches nothing at a missing path, and echoes a __proto__ key as a key', async () => {
    const missing = await get(`/v1/calls/count?${runWindow}&metadata.load_run.id=run-7f3a`);
    expect(missing.body).toMatchObject({ calls: 0, distinct_calls: 0, duplicate_calls: 0 });
    const proto = await get(`/v1/calls/count?${runWindow}&metadata.__proto__=x`);
    expect(proto.status).toBe(200);
    expect(Object.keys(proto.body.metadata)).toEqual(['__proto__']);
    expect(proto.body.calls).toBe(0);
  });
});

/** Whether an answer holds a figure that only B's calls have: B's own model, or 50 s latency. */
const showsB = (text: string) =>
  text.includes(MODEL_B_ONLY) ||
  [...text.matchAll(/"latency_ms[a-z0-9_]*":([\d.]+)/g)].some((m) => Number(m[1]) >= 50_000);

describe('tokens and cost in GET /v1/metrics', () => {
  it('sums tokens and cost per bucket and model as the events do, by the minute and by the hour', async () => {
    for (const [path, from, to, bucket] of [
      ['/v1/metrics?window=1h', MINUTE_END - HOUR, MINUTE_END, MINUTE],
      ['/v1/metrics?window=24h', HOUR_END - 24 * HOUR, HOUR_END, HOUR],
    ] as const) {
      const { body } = await get(path);
      const events = within(A, from, to);
      expect(body.series.length).toBeGreaterThan(0);
      for (const point of body.series) {
        const own = events.filter(
          (e) => e.model === point.model && Math.floor(ms(e.timestamp) / bucket) * bucket === ms(point.time),
        );
        expect(point).toMatchObject({
          input_tokens: sum(own.map((e) => e.input_tokens)),
          output_tokens: sum(own.map((e) => e.output_tokens)),
          total_tokens: sum(own.map((e) => e.tokens_used)),
        });
        expect(point.cost_cents).toBeCloseTo(sum(own.map((e) => e.cost_cents)), 6);
      }
      expect(sum(body.series.map((p: { total_tokens: number }) => p.total_tokens))).toBe(
        sum(events.map((e) => e.tokens_used)),
      );
    }
  });
});

describe('GET /v1/calls', () => {
  const window = { from: MINUTE_END - HOUR, to: MINUTE_END };
  const latestFirst = (events: NormalizedEvent[]) =>
    [...events].sort(
      (a, b) =>
        ms(b.timestamp) - ms(a.timestamp) ||
        (a.trace_id < b.trace_id ? -1 : a.trace_id > b.trace_id ? 1 : 0) ||
        (a.span_id < b.span_id ? -1 : a.span_id > b.span_id ? 1 : 0),
    );
  const spanIds = (calls: { span_id: string }[]) => calls.map((c) => c.span_id);

  it('lists the latest calls first, each with its tokens, cost and status, up to limit', async () => {
    const { status, body, summary } = await get('/v1/calls?window=1h&limit=1000');
    const events = within(A, window.from, window.to);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      project: A,
      from: iso(window.from),
      to: iso(window.to),
      order: 'latest',
      limit: 1000,
      filters: { metadata: {} },
    });
    expect(spanIds(body.calls)).toEqual(spanIds(latestFirst(events)));
    const byId = new Map(events.map((e) => [e.span_id, e]));
    for (const c of body.calls) {
      const e = byId.get(c.span_id) as NormalizedEvent;
      expect(c).toEqual({
        trace_id: e.trace_id,
        span_id: e.span_id,
        timestamp: e.timestamp,
        model: e.model,
        name: e.name,
        latency_ms: e.latency_ms,
        status: e.status,
        input_tokens: e.input_tokens,
        output_tokens: e.output_tokens,
        total_tokens: e.tokens_used,
        cost_cents: expect.closeTo(e.cost_cents, 6),
        error_message: e.error_message,
        user_id: e.user_id,
        session_id: e.session_id,
      });
      expect(c).not.toHaveProperty('prompt');
    }
    expect(summary).toMatchObject({ route: 'calls', statusCode: 200, projectId: A, rows: events.length });
    const page = await get('/v1/calls?window=1h');
    expect(page.body.calls).toHaveLength(QUERY_LIMITS.defaultRows);
    expect(spanIds(page.body.calls)).toEqual(spanIds(body.calls).slice(0, QUERY_LIMITS.defaultRows));
  });

  it('orders the slowest first with order=slowest, as /v1/calls/slowest does', async () => {
    const list = await get('/v1/calls?window=1h&order=slowest&limit=20');
    const slowest = await get('/v1/calls/slowest?window=1h&limit=20');
    expect(list.body.order).toBe('slowest');
    expect(spanIds(list.body.calls)).toEqual(spanIds(slowest.body.calls));
  });

  it('filters by model and status, both at once, and failed calls carry their message', async () => {
    const events = within(A, window.from, window.to);
    for (const model of MODELS_A) {
      const { body } = await get(`/v1/calls?window=1h&limit=1000&model=${encodeURIComponent(model)}`);
      expect(body.filters).toEqual({ model, metadata: {} });
      expect(spanIds(body.calls)).toEqual(spanIds(latestFirst(events.filter((e) => e.model === model))));
    }
    const failed = await get('/v1/calls?window=1h&limit=1000&status=error');
    const failures = events.filter((e) => e.status === 'error');
    expect(failures.length).toBeGreaterThan(10);
    expect(spanIds(failed.body.calls)).toEqual(spanIds(latestFirst(failures)));
    expect(
      failed.body.calls.every((c: { error_message: string }) => c.error_message === 'upstream 429'),
    ).toBe(true);
    const both = await get('/v1/calls?window=1h&limit=1000&status=ok&model=gpt-4o');
    expect(spanIds(both.body.calls)).toEqual(
      spanIds(latestFirst(events.filter((e) => e.status === 'ok' && e.model === 'gpt-4o'))),
    );
    const none = await get(`/v1/calls?window=1h&model=${MODEL_B_ONLY}`);
    expect(none.body.calls).toEqual([]);
  });

  it('filters by metadata as /v1/calls/count does, to the millisecond of from and to', async () => {
    const run = `from=${iso(DATA.loadRun.from)}&to=${iso(DATA.loadRun.to)}&metadata.load_run=run-7f3a`;
    const { body } = await get(`/v1/calls?${run}&limit=1000`);
    const count = await get(`/v1/calls/count?${run}`);
    expect(body.calls).toHaveLength(count.body.calls);
    expect(body.filters).toEqual({ metadata: { load_run: 'run-7f3a' } });
    const nested = await get(`/v1/calls?${run}&metadata.deploy.id=8&limit=1000`);
    expect(nested.body.calls.length).toBeGreaterThan(0);
    expect(nested.body.calls.length).toBeLessThan(body.calls.length);
  });
});

describe('GET /v1/costs', () => {
  const DAY = 24 * HOUR;
  // The rollups count rows: the two calls of the load run stored twice count twice, as in the store.
  const stored = [...EVENTS, ...DATA.storedAgain.map((s) => s.event)];
  const within = (project: string, from: number, to: number) =>
    stored.filter((e) => e.project_id === project && ms(e.timestamp) >= from && ms(e.timestamp) < to);
  const today = Math.floor((HOUR_END - 1) / DAY) * DAY;
  const monthStart = Date.UTC(new Date(today).getUTCFullYear(), new Date(today).getUTCMonth(), 1);

  it('answers cost per UTC day and model over the last 30 days, ending with the current hour', async () => {
    const { status, body, summary } = await get('/v1/costs');
    expect(status).toBe(200);
    const from = today - 29 * DAY;
    expect(body).toMatchObject({ project: A, from: iso(from), to: iso(HOUR_END) });
    const events = within(A, from, HOUR_END);
    const groups = new Map<string, NormalizedEvent[]>();
    for (const e of events) {
      const key = `${e.timestamp.slice(0, 10)} ${e.model}`;
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
    const keys = [...groups.keys()].sort();
    expect(body.days.map((d: { day: string; model: string }) => `${d.day} ${d.model}`)).toEqual(keys);
    body.days.forEach((d: Record<string, number>, i: number) => {
      const own = groups.get(keys[i] as string) as NormalizedEvent[];
      expect(d).toMatchObject({
        requests: own.length,
        input_tokens: sum(own.map((e) => e.input_tokens)),
        output_tokens: sum(own.map((e) => e.output_tokens)),
        total_tokens: sum(own.map((e) => e.tokens_used)),
      });
      expect(d.cost_cents).toBeCloseTo(sum(own.map((e) => e.cost_cents)), 6);
    });
    // At least today, yesterday (30 hours back) and the day before (48 hours back).
    expect(new Set(body.days.map((d: { day: string }) => d.day)).size).toBeGreaterThanOrEqual(2);
    expect(summary).toMatchObject({ route: 'costs', statusCode: 200, projectId: A });
  });

  it('answers the month so far, per model and in all', async () => {
    const { body } = await get('/v1/costs?days=1');
    const events = within(A, monthStart, HOUR_END);
    expect(body.from).toBe(iso(today));
    expect(body.days.every((d: { day: string }) => d.day === iso(today).slice(0, 10))).toBe(true);
    expect(body.month).toMatchObject({
      from: iso(monthStart),
      to: iso(HOUR_END),
      requests: events.length,
      total_tokens: sum(events.map((e) => e.tokens_used)),
    });
    expect(body.month.cost_cents).toBeCloseTo(sum(events.map((e) => e.cost_cents)), 6);
    const models = new Map(body.month.models.map((m: { model: string }) => [m.model, m]));
    expect([...models.keys()].sort()).toEqual([...new Set(events.map((e) => e.model))].sort());
  });
});

describe('one project per key', () => {
  const ROUTES = [
    '/v1/metrics?window=1h',
    '/v1/metrics?window=24h',
    '/v1/summary?window=1h',
    '/v1/models?window=1h',
    '/v1/calls/slowest?window=1h&limit=1000',
    '/v1/calls/failed?window=1h&limit=1000',
    '/v1/calls?window=1h&limit=1000',
    '/v1/calls?window=1h&limit=1000&order=slowest',
    '/v1/costs',
  ];

  it.each(ROUTES)("never shows another project's rows: %s", async (path) => {
    const a = await get(path);
    const b = await get(path, { key: keyB.key });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body.project).toBe(A);
    expect(b.body.project).toBe(B);
    const text = JSON.stringify(a.body);
    for (const e of EVENTS.filter((x) => x.project_id === B)) {
      expect(text).not.toContain(e.span_id);
    }
    // B's calls are slower than 50 s (but two) and some use a model of B's own: the route shows
    // B's rows to B's key, and A's answer has none of either.
    expect(showsB(JSON.stringify(b.body))).toBe(true);
    expect(showsB(text)).toBe(false);
  });

  it('counts only its own project, whatever metadata the other has', async () => {
    const run = `/v1/calls/count?from=${iso(DATA.loadRun.from)}&to=${iso(DATA.loadRun.to)}&metadata.load_run=run-7f3a`;
    const a = await get(run);
    const b = await get(run, { key: keyB.key });
    expect(a.body).toMatchObject({ project: A, calls: 7, distinct_calls: 5 });
    expect(b.body).toMatchObject({ project: B, calls: 3, distinct_calls: 3, duplicate_calls: 0 });

    const chat = (project: string) =>
      within(project, MINUTE_END - HOUR, MINUTE_END).filter(
        (e) => (e.metadata as Record<string, unknown>).feature === 'chat',
      ).length;
    expect((await get('/v1/calls/count?window=1h&metadata.feature=chat')).body.calls).toBe(chat(A));
    expect((await get('/v1/calls/count?window=1h&metadata.feature=chat', { key: keyB.key })).body.calls).toBe(
      chat(B),
    );
    expect(chat(B)).toBeGreaterThan(0);
  });

  it('sums only its own project', async () => {
    const a = await get('/v1/summary?window=1h');
    const b = await get('/v1/summary?window=1h', { key: keyB.key });
    expect(a.body.summary.requests).toBe(within(A, MINUTE_END - HOUR, MINUTE_END).length);
    expect(b.body.summary.requests).toBe(within(B, MINUTE_END - HOUR, MINUTE_END).length);
  });

  it("shows only its own spans of a shared trace id, and none of another project's trace", async () => {
    const shared = await get(`/v1/traces/${DATA.sharedTrace}`);
    expect(shared.body.spans.map((s: { model: string }) => s.model)).toEqual(['gpt-4o']);
    const other = await get(`/v1/traces/${DATA.traceB}`);
    expect(other.status).toBe(404);
    expect(other.body.error).toMatchObject({ code: 'trace_not_found' });
    expect((await get(`/v1/traces/${DATA.traceB}`, { key: keyB.key })).status).toBe(200);
  });

  it.each([
    '/v1/metrics?project=proj-b',
    '/v1/summary?window=1h&project=proj-b',
    '/v1/calls/failed?project=proj-b',
    '/v1/calls/count?metadata.load_run=run-7f3a&project=proj-b',
    `/v1/traces/${'b'.repeat(32)}?project=proj-b`,
  ])('rejects ?project= of another project with 403 naming both: %s', async (path) => {
    const { status, body, summary } = await get(path);
    expect(status).toBe(403);
    expect(body.error.code).toBe('forbidden');
    expect(body.error.message).toContain(`"${A}"`);
    expect(body.error.message).toContain(`"${B}"`);
    expect(summary).toMatchObject({ statusCode: 403, projectId: A });
  });

  it("accepts ?project= of the key's own project", async () => {
    const { status, body } = await get('/v1/summary?window=1h&project=proj-a');
    expect(status).toBe(200);
    expect(body.project).toBe(A);
  });
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', null, 'missing Authorization header'],
    ['a malformed key', 'efk_nope', 'malformed'],
    ['an unknown key', newApiKey(A, new Date(NOW)).key, 'not known'],
    ['a revoked key', revoked.key, 'revoked'],
  ])('rejects %s with 401 on every route', async (_, key, reason) => {
    for (const path of ['/v1/metrics', '/v1/summary', '/v1/calls/slowest', `/v1/traces/${DATA.traceA}`]) {
      const { status, headers, body, summary } = await get(path, { key });
      expect(status).toBe(401);
      expect(headers['www-authenticate']).toBe('Bearer');
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.message).toContain(reason);
      expect(summary.projectId).toBeUndefined();
    }
  });

  it('fails with 503 and Retry-After when the key store cannot be read, its error in the summary only', async () => {
    const broken: KeyStore = {
      findByKeyId: async () => {
        throw new Error('DynamoDB table evalforge-keys in 123456789012 is unreachable');
      },
    };
    const { status, headers, body, summary } = await get('/v1/metrics', { with: { ...deps, keys: broken } });
    expect(status).toBe(503);
    expect(headers['retry-after']).toBe(String(QUERY_API_LIMITS.retryAfterSec));
    expect(body.error.code).toBe('key_store_unavailable');
    expect(body.error.message).not.toContain('123456789012');
    expect(summary.internalError).toContain('123456789012');
  });
});

describe('bad requests', () => {
  const TRACE = DATA.traceA;
  it.each([
    ['/v1/metrics?window=0h', 'window'],
    ['/v1/metrics?window=abc', 'window'],
    ['/v1/metrics?window=100d', 'window'],
    ['/v1/metrics?window=32d', 'window'],
    ['/v1/metrics?window=1w', 'window'],
    ['/v1/metrics?window=', 'window'],
    ['/v1/metrics?window=-1h', 'window'],
    ['/v1/metrics?window=1.5h', 'window'],
    ['/v1/metrics?step=week', 'step'],
    ['/v1/metrics?window=90m&step=hour', 'window'],
    ['/v1/metrics?window=7d&step=minute', 'step'],
    ['/v1/metrics?window=1h&window=2h', 'window'],
    ['/v1/metrics?windw=1h', 'windw'],
    ['/v1/metrics?limit=10', 'limit'],
    ['/v1/summary?step=hour', 'step'],
    ['/v1/calls/slowest?limit=0', 'limit'],
    ['/v1/calls/slowest?limit=100000', 'limit'],
    ['/v1/calls/failed?limit=1.5', 'limit'],
    ['/v1/calls/failed?limit=ten', 'limit'],
    ['/v1/calls/failed?limit=-1', 'limit'],
    ['/v1/traces/xyz', 'trace_id'],
    [`/v1/traces/${TRACE.slice(1)}`, 'trace_id'],
    [`/v1/traces/${TRACE}g`, 'trace_id'],
    [`/v1/traces/${TRACE}?window=1h`, 'window'],
    ['/v1/metrics?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
    ['/v1/metrics?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
    ['/v1/metrics?from=2026-01-01T00:00:00Z', 'to'],
    ['/v1/metrics?to=2026-01-01T00:00:00Z', 'from'],
    ['/v1/metrics?window=1h&from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z', 'window'],
    ['/v1/metrics?from=yesterday&to=2026-01-01T01:00:00Z', 'from'],
    ['/v1/metrics?from=2026-01-01T00:00:00&to=2026-01-01T01:00:00Z', 'from'],
    ['/v1/metrics?from=2026-02-30T00:00:00Z&to=2026-03-05T00:00:00Z', 'from'],
    ['/v1/metrics?from=2026-01-01T00:00:30Z&to=2026-01-01T01:00:00Z', 'from'],
    ['/v1/metrics?from=2026-01-01T00:00:00Z&to=2026-01-01T10:30:00Z&step=hour', 'to'],
    ['/v1/metrics?from=2026-01-01T00:00:00Z&to=2026-01-03T00:30:00Z', 'step'],
    ['/v1/summary?from=2026-01-01T00:00:00.500Z&to=2026-01-01T01:00:00Z', 'from'],
    ['/v1/models?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'to'],
    ['/v1/calls/slowest?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'to'],
    ['/v1/calls?order=fastest', 'order'],
    ['/v1/calls?status=failed', 'status'],
    ['/v1/calls?status=', 'status'],
    ['/v1/calls?model=', 'model'],
    [`/v1/calls?model=${'m'.repeat(300)}`, 'model'],
    ['/v1/calls?limit=0', 'limit'],
    ['/v1/calls?step=hour', 'step'],
    ['/v1/calls?metadata.a b=1', 'metadata.a b'],
    ['/v1/calls?metadata.a=', 'metadata.a'],
    ['/v1/costs?days=0', 'days'],
    ['/v1/costs?days=32', 'days'],
    ['/v1/costs?days=1.5', 'days'],
    ['/v1/costs?days=', 'days'],
    ['/v1/costs?window=1h', 'window'],
  ])('rejects %s with 400 naming %s', async (path, parameter) => {
    const { status, body, summary } = await get(path);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_query');
    expect(body.error.message).toMatch(new RegExp(`^${parameter}: `));
    expect(summary).toMatchObject({ statusCode: 400, errorCode: 'invalid_query', projectId: A });
  });

  const LONG_PATH = `metadata.${'k'.repeat(70)}`;
  it.each([
    [
      '/v1/calls/count?metadata=x',
      'metadata',
      'unknown parameter; /v1/calls/count takes window, from, to, project, metadata.<key>',
    ],
    ['/v1/calls/count?limit=5', 'limit', 'unknown parameter'],
    ['/v1/calls/count?step=hour', 'step', 'unknown parameter'],
    [
      '/v1/calls/slowest?metadata.load_run=x',
      'metadata.load_run',
      'unknown parameter; /v1/calls/slowest takes window, from, to, project, limit',
    ],
    ['/v1/summary?window=1h&metadata.feature=chat', 'metadata.feature', 'unknown parameter'],
    [`/v1/traces/${TRACE}?metadata.a=b`, 'metadata.a', 'unknown parameter'],
    [
      '/v1/calls/count?metadata.a%20b=x',
      'metadata.a b',
      'each key of a metadata path must be 1-64 letters, digits, "_" or "-"',
    ],
    ['/v1/calls/count?metadata.=x', 'metadata.', 'got key ""'],
    ['/v1/calls/count?metadata.a..b=x', 'metadata.a..b', 'got key ""'],
    ['/v1/calls/count?metadata.a.=x', 'metadata.a.', 'got key ""'],
    [
      '/v1/calls/count?metadata.a%60)%20OR%201%3D1%20--=x',
      'metadata.a`) OR 1=1 --',
      'each key of a metadata path',
    ],
    ["/v1/calls/count?metadata.a'b=x", "metadata.a'b", 'each key of a metadata path'],
    [
      `/v1/calls/count?metadata.${'k'.repeat(65)}=x`,
      `metadata.${'k'.repeat(55)}…`,
      'each key of a metadata path',
    ],
    [
      '/v1/calls/count?metadata.a.b.c.d.e.f=x',
      'metadata.a.b.c.d.e.f',
      'a metadata path has at most 5 keys, as metadata nests at most 5 levels deep; got 6',
    ],
    [
      '/v1/calls/count?metadata.a=1&metadata.b=2&metadata.c=3&metadata.d=4&metadata.e=5',
      'metadata.e',
      'at most 4 metadata filters per request',
    ],
    ['/v1/calls/count?metadata.load_run=', 'metadata.load_run', 'must not be empty'],
    [
      `/v1/calls/count?metadata.load_run=${'v'.repeat(257)}`,
      'metadata.load_run',
      'must be at most 256 characters; got 257',
    ],
    ['/v1/calls/count?metadata.load_run=a&metadata.load_run=b', 'metadata.load_run', 'give it once'],
    ['/v1/calls/count?metadata.load_run=a&metadata.load%5Frun=a', 'metadata.load_run', 'give it once'],
    [`/v1/calls/count?${LONG_PATH}=a&${LONG_PATH}=b`, `${LONG_PATH.slice(0, 64)}…`, 'give it once'],
    ['/v1/calls/count?window=0h&metadata.load_run=x', 'window', 'must be a length'],
    ['/v1/calls/count?from=2026-01-01T00:00:00Z&metadata.load_run=x', 'to', 'is required with from'],
    ['/v1/calls/count?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'to', 'at most 31d after from'],
  ])('rejects %s with 400 naming %s', async (path, parameter, message) => {
    const { status, body, summary } = await get(path);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_query');
    expect(body.error.message.startsWith(`${parameter}: `)).toBe(true);
    expect(body.error.message).toContain(message);
    expect(summary).toMatchObject({ statusCode: 400, errorCode: 'invalid_query', projectId: A });
  });

  it('takes a metadata value of 256 characters, and any characters in it', async () => {
    for (const value of ['v'.repeat(256), 'it\'s a "quote"; DROP TABLE events; --', '🚀 ünïcode & = ?']) {
      const { status, body } = await get(
        `/v1/calls/count?window=1h&metadata.load_run=${encodeURIComponent(value)}`,
      );
      expect(status).toBe(200);
      expect(body).toMatchObject({ metadata: { load_run: value }, calls: 0 });
    }
  });

  it('takes raw-row windows to the millisecond, unlike rollup windows', async () => {
    const from = iso(MINUTE_END - 30 * MINUTE + 250);
    const to = iso(MINUTE_END - 500);
    const { status, body } = await get(`/v1/calls/failed?from=${from}&to=${to}&limit=1000`);
    expect(status).toBe(200);
    expect(body.calls).toHaveLength(within(A, ms(from), ms(to)).filter((e) => e.status === 'error').length);
  });
});

describe('routing', () => {
  it.each([
    '/v1/nope',
    '/v1/calls/extra',
    '/v1/costs/extra',
    '/v1/traces',
    '/v1/traces/a/b',
    '/v1/metrics/extra',
    '/v1/dead-letters/extra',
    '/',
    '/v1/events',
  ])('answers %s with 404 naming the routes', async (path) => {
    const { status, body, summary } = await get(path);
    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
    for (const route of [
      '/v1/metrics',
      '/v1/summary',
      '/v1/models',
      '/v1/calls/slowest',
      '/v1/calls/failed',
      '/v1/calls/count',
      '/v1/calls',
      '/v1/costs',
      '/v1/dead-letters',
    ]) {
      expect(body.error.message).toContain(route);
    }
    expect(body.error.message).toContain('/v1/traces/{trace_id}');
    expect(summary.route).toBe('other');
  });

  it('takes a trailing slash', async () => {
    expect((await get('/v1/summary/?window=15m')).status).toBe(200);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405 and Allow', async (method) => {
    const { status, headers, body } = await get('/v1/metrics', { method });
    expect(status).toBe(405);
    expect(headers.allow).toBe('GET, HEAD');
    expect(body.error.code).toBe('method_not_allowed');
  });
});

describe('failures', () => {
  it('fails with 503 and Retry-After when ClickHouse fails, its error in the summary only', async () => {
    const failing = {
      query: async () => {
        throw new Error('connect ECONNREFUSED 10.0.3.7:8123 (clickhouse-shard-1.internal)');
      },
    } as unknown as ClickHouseClient;
    for (const path of [
      '/v1/metrics',
      '/v1/summary',
      '/v1/models',
      '/v1/calls/failed',
      '/v1/calls/count?metadata.load_run=x',
      `/v1/traces/${DATA.traceA}`,
    ]) {
      const { status, headers, body, summary } = await get(path, { with: { ...deps, clickhouse: failing } });
      expect(status).toBe(503);
      expect(headers['retry-after']).toBe(String(QUERY_API_LIMITS.retryAfterSec));
      expect(body.error.code).toBe('unavailable');
      expect(JSON.stringify(body)).not.toContain('10.0.3.7');
      expect(summary).toMatchObject({ statusCode: 503, errorCode: 'unavailable', projectId: A });
      expect(summary.internalError).toContain('ECONNREFUSED 10.0.3.7:8123');
    }
  });

  it('fails with 422 when the answer would not fit in a load balancer response', async () => {
    const big = 'x'.repeat(200_000);
    const spans = Array.from({ length: 6 }, (_, i) => ({
      trace_id: DATA.traceA,
      span_id: String(i).padStart(16, '0'),
      timestamp_ms: NOW,
      prompt: big,
      response: '"quoted"',
    }));
    const bulky = {
      query: async () => ({ json: async () => spans }),
    } as unknown as ClickHouseClient;
    const { status, body, summary } = await get(`/v1/traces/${DATA.traceA}`, {
      with: { ...deps, clickhouse: bulky },
    });
    expect(status).toBe(422);
    expect(body.error.code).toBe('response_too_large');
    expect(summary.rows).toBe(6);
  });
});

describe('the load balancer health check', () => {
  it.each(['GET', 'HEAD'])('answers %s /v1/health with 200, without a key or ClickHouse', async (method) => {
    const failing = {
      keys: { findByKeyId: async () => Promise.reject(new Error('no key store')) },
      clickhouse: undefined as never,
      now: () => Date.now(),
    };
    const { response, summary } = await handleQueryRequest(
      { method, path: '/v1/health', headers: {}, body: Buffer.alloc(0) },
      failing,
    );
    expect(response.statusCode).toBe(200);
    expect(summary.route).toBe('health');
  });
});
