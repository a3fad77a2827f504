import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallRow,
  callCount,
  dailyCosts,
  type FailedCall,
  failedCalls,
  hourStats,
  listCalls,
  type MetadataFilters,
  type MinuteStat,
  minuteStats,
  modelUsage,
  QueryInputError,
  slowestCalls,
  summary,
  type TraceSpan,
  traceSpans,
} from '../../../functions/query/queries.js';
import {
  checkEvent,
  type EventInput,
  type NormalizedEvent,
} from '../../../functions/shared/contract/event.js';
import { ClickHouseLoaderStore } from '../../../functions/shared/load/clickhouse-store.js';
import { eventGenerator, seededRandom } from '../../../lib/workloads/event-generator.js';
import { embeddedClickHouse, insertIngestRows } from '../../helpers/clickhouse.js';

/**
 * The queries against the real embedded engine, migrations applied, events inserted the
 * way the loader inserts them (NDJSON into `events_ingest`). Every number is compared with ground
 * truth computed here from the very events inserted, normalised by the event contract.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// Rows expire 400 days and prompts 90 days after their timestamp, so the data sits a day back
// from now rather than on a fixed date.
const FROM = Math.floor(Date.now() / HOUR) * HOUR - DAY;
const TO = FROM + 10 * MINUTE;

const A = 'proj-a';
const B = 'proj-b';
/** Valid by the project id pattern, and holds a SQL comment opener: bound, it is only data. */
const C = 'c--x.y_z';
const EMPTY = 'proj-empty';
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4'] as const;

/**
 * t-digest quantiles are estimates: each must lie between the exact (nearest-rank) quantiles
 * at ranks q - 0.02 and q + 0.02 of the group's latencies.
 */
const TDIGEST_RANK_TOLERANCE = 0.02;

// ---------------------------------------------------------------------------------------------
// The data set: seeded, so every run inserts the same events (relative to FROM).

interface Special {
  /** A span exactly at FROM (in every window starting there) and one 1 ms before (in none). */
  atFrom: NormalizedEvent;
  beforeFrom: NormalizedEvent;
  /** A span exactly at TO (in no window ending there) and one 1 ms before (in it). */
  atTo: NormalizedEvent;
  beforeTo: NormalizedEvent;
  /**
   * A window on raw rows that is not on whole seconds, and failed spans 1 ms either side of its
   * bounds and exactly on them: a bound that loses its milliseconds shows.
   */
  inner: {
    from: number;
    to: number;
    beforeFrom: NormalizedEvent;
    atFrom: NormalizedEvent;
    beforeTo: NormalizedEvent;
    atTo: NormalizedEvent;
  };
  /** A trace of four spans in A. */
  multiSpanTraceId: string;
  /** A trace with quotes, backslashes, newlines and emoji in its text. */
  oddTextTraceId: string;
  /** A trace id used by spans in both A and B. */
  sharedTraceId: string;
  /** A trace of two spans with the same timestamp and latency. */
  tieTraceId: string;
}

/** Each event as the client sent it (`raw`) and as the contract normalises it (`event`). */
interface Sent {
  readonly raw: EventInput;
  readonly event: NormalizedEvent;
}

function buildDataSet(): { sent: Sent[]; special: Special } {
  const random = seededRandom(42);
  const generator = eventGenerator({ seed: 7 });
  const sent: Sent[] = [];

  const add = (project: string, overrides: Partial<EventInput>): NormalizedEvent => {
    const raw = generator.next({ error_message: undefined, status: 'ok', ...overrides });
    const checked = checkEvent(JSON.parse(JSON.stringify(raw)), project);
    if (!checked.ok) throw new Error(`test event is invalid: ${checked.reason}`);
    sent.push({ raw, event: checked.event });
    return checked.event;
  };
  const at = (ms: number) => new Date(ms).toISOString();
  // Skewed like real latencies, with fractions of a millisecond.
  const latency = () => Math.round((40 + 6_000 * random() ** 3) * 1_000) / 1_000;
  const failure = (i: number) =>
    random() < 0.12 ? { status: 'error' as const, error_message: `upstream 429 after retry ${i}` } : {};

  /** A trace: a root span and `children` child spans a quarter second apart. */
  const trace = (project: string, startMs: number, children: number, traceId?: string): NormalizedEvent => {
    const model = MODELS[Math.floor(random() * MODELS.length)] as string;
    const root = add(project, {
      ...(traceId ? { trace_id: traceId } : {}),
      model,
      timestamp: at(startMs),
      latency_ms: latency(),
      ...failure(sent.length),
    });
    for (let c = 1; c <= children; c++) {
      add(project, {
        trace_id: root.trace_id,
        parent_span_id: root.span_id,
        model: MODELS[Math.floor(random() * MODELS.length)] as string,
        timestamp: at(startMs + c * 250),
        latency_ms: latency(),
        ...failure(sent.length),
      });
    }
    return root;
  };

  for (const [project, spans] of [
    [A, 300],
    [B, 120],
    [C, 60],
  ] as const) {
    const first = sent.length;
    while (sent.length - first < spans) {
      trace(project, FROM + Math.floor(random() * 10 * MINUTE), Math.floor(random() * 3));
    }
  }

  const multiSpanTraceId = trace(A, FROM + 4 * MINUTE + 123, 3).trace_id;
  const oddText = add(A, {
    model: 'gpt-4o',
    timestamp: at(FROM + 2 * MINUTE + 5),
    latency_ms: 812.25,
    prompt: `It's a "quote" \\ back\\slash\nnew line\ttab; DROP TABLE events; -- 🚀 ünïcode`,
    response: { role: 'assistant', content: "'; SELECT 1 --" },
    tags: ['odd', "it's"],
  });
  const sharedTraceId = trace(A, FROM + 6 * MINUTE + 7, 1).trace_id;
  trace(B, FROM + 6 * MINUTE + 9, 2, sharedTraceId);

  // Ties on latency and timestamp: the documented tie-breaks (trace id, then span id) decide.
  // The ids are chosen so that any other order of the tie-breaks gives a different list.
  const tieAt = at(FROM + 5 * MINUTE + 5);
  const tied = (traceId: string, spanId: string, parentSpanId?: string) =>
    add(A, {
      trace_id: traceId,
      span_id: spanId,
      ...(parentSpanId ? { parent_span_id: parentSpanId } : {}),
      model: 'gpt-4o',
      timestamp: tieAt,
      latency_ms: 5_000.5,
      status: 'error',
      error_message: 'tie',
    });
  const tie = tied('a'.repeat(32), 'f'.repeat(16));
  tied(tie.trace_id, 'e'.repeat(16), tie.span_id);
  tied('b'.repeat(32), '1'.repeat(16));

  // The boundaries, each slower than anything else, so a wrong bound shows at the top of a list.
  const edge = (ms: number, latencyMs: number) =>
    add(A, {
      model: 'gpt-4o-mini',
      timestamp: at(ms),
      latency_ms: latencyMs,
      status: 'error',
      error_message: `edge at ${at(ms)}`,
    });
  const innerFrom = FROM + 2 * MINUTE + 30_500;
  const innerTo = FROM + 7 * MINUTE + 45_250;
  const special: Special = {
    atFrom: edge(FROM, 80_000),
    beforeFrom: edge(FROM - 1, 90_001),
    atTo: edge(TO, 90_002),
    beforeTo: edge(TO - 1, 70_000),
    inner: {
      from: innerFrom,
      to: innerTo,
      beforeFrom: edge(innerFrom - 1, 60_004),
      atFrom: edge(innerFrom, 60_003),
      beforeTo: edge(innerTo - 1, 60_002),
      atTo: edge(innerTo, 60_001),
    },
    multiSpanTraceId,
    oddTextTraceId: oddText.trace_id,
    sharedTraceId,
    tieTraceId: tie.trace_id,
  };
  return { sent, special };
}

const { sent: SENT, special: SPECIAL } = buildDataSet();
const EVENTS = SENT.map((s) => s.event);

// ---------------------------------------------------------------------------------------------
// Ground truth

const ms = (iso: string) => Date.parse(iso);
const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
const sum = (values: number[]) => values.reduce((total, v) => total + v, 0);

function within(project: string, from: number, to: number): NormalizedEvent[] {
  return EVENTS.filter((e) => e.project_id === project && ms(e.timestamp) >= from && ms(e.timestamp) < to);
}

function groupBy(events: NormalizedEvent[], key: (e: NormalizedEvent) => string): NormalizedEvent[][] {
  const groups = new Map<string, NormalizedEvent[]>();
  for (const e of events) groups.set(key(e), [...(groups.get(key(e)) ?? []), e]);
  return [...groups.values()];
}

function nearestRank(sorted: number[], q: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

function expectQuantile(actual: number | null, latencies: number[], q: number): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  expect(actual).toBeGreaterThanOrEqual(nearestRank(sorted, q - TDIGEST_RANK_TOLERANCE));
  expect(actual).toBeLessThanOrEqual(nearestRank(sorted, q + TDIGEST_RANK_TOLERANCE));
}

const minuteOf = (e: NormalizedEvent) =>
  new Date(Math.floor(ms(e.timestamp) / MINUTE) * MINUTE).toISOString();
const errorsIn = (events: NormalizedEvent[]) => events.filter((e) => e.status === 'error').length;
const latencies = (events: NormalizedEvent[]) => events.map((e) => e.latency_ms);

function expectedMinuteGroups(events: NormalizedEvent[]) {
  return groupBy(events, (e) => `${minuteOf(e)} ${e.model}`)
    .map((group) => ({ minute: minuteOf(group[0] as NormalizedEvent), model: group[0]?.model ?? '', group }))
    .sort((a, b) => compare(a.minute, b.minute) || compare(a.model, b.model));
}

const bySlowest = (a: NormalizedEvent, b: NormalizedEvent) =>
  b.latency_ms - a.latency_ms ||
  ms(b.timestamp) - ms(a.timestamp) ||
  compare(a.trace_id, b.trace_id) ||
  compare(a.span_id, b.span_id);

const byLatest = (a: NormalizedEvent, b: NormalizedEvent) =>
  ms(b.timestamp) - ms(a.timestamp) || compare(a.trace_id, b.trace_id) || compare(a.span_id, b.span_id);

const callRow = (e: NormalizedEvent): CallRow => ({
  trace_id: e.trace_id,
  span_id: e.span_id,
  timestamp: e.timestamp,
  model: e.model,
  name: e.name,
  latency_ms: e.latency_ms,
  status: e.status,
});

const failedCall = (e: NormalizedEvent): FailedCall => ({
  trace_id: e.trace_id,
  span_id: e.span_id,
  timestamp: e.timestamp,
  model: e.model,
  name: e.name,
  latency_ms: e.latency_ms,
  error_message: e.error_message,
});

const traceSpan = (e: NormalizedEvent): TraceSpan => ({
  trace_id: e.trace_id,
  span_id: e.span_id,
  parent_span_id: e.parent_span_id,
  timestamp: e.timestamp,
  name: e.name,
  model: e.model,
  input_tokens: e.input_tokens,
  output_tokens: e.output_tokens,
  total_tokens: e.tokens_used,
  latency_ms: e.latency_ms,
  cost_cents: e.cost_cents,
  status: e.status,
  error_message: e.error_message,
  user_id: e.user_id,
  session_id: e.session_id,
  tags: e.tags,
  metadata: e.metadata,
  prompt: e.prompt,
  response: e.response,
});

// ---------------------------------------------------------------------------------------------
// The engine

let engine: Awaited<ReturnType<typeof embeddedClickHouse>>;
let client: ClickHouseClient;

/** Inserts as the loader does: client events plus the record header's fields, into the Null table. */
async function insertBatch(batch: Sent[], key: string): Promise<void> {
  await insertIngestRows(
    client,
    batch.map(({ raw, event }) => ({
      ...raw,
      _project_id: event.project_id,
      _received_at: new Date(FROM + HOUR).toISOString(),
      _request_id: `request-${key}`,
      _request_key: key,
    })),
  );
}

beforeAll(async () => {
  engine = await embeddedClickHouse();
  client = engine.client;
  // Unmerged rollup rows are the case the queries must handle: keep every insert's rows apart.
  await client.command({ query: 'SYSTEM STOP MERGES events_minute' });
  // Three inserts over the whole time range, so most (project, minute, model) keys have several rows.
  for (let part = 0; part < 3; part++) {
    await insertBatch(
      SENT.filter((_, i) => i % 3 === part),
      `batch-${part}`,
    );
  }
});

afterAll(async () => {
  await engine?.close();
});

describe('the data set', () => {
  it('has unique span ids, errors, three models, and rollup keys held in several unmerged rows', async () => {
    expect(new Set(EVENTS.map((e) => `${e.trace_id}/${e.span_id}`)).size).toBe(EVENTS.length);
    expect(new Set(EVENTS.map((e) => e.span_id)).size).toBe(EVENTS.length);
    expect(errorsIn(within(A, FROM, TO))).toBeGreaterThan(10);
    expect(new Set(EVENTS.map((e) => e.model))).toEqual(new Set(MODELS));

    const result = await client.query({
      query: `SELECT count() AS rows, uniqExact(minute, model) AS keys FROM events_minute
              WHERE project_id = {project:String}`,
      query_params: { project: A },
      format: 'JSONEachRow',
    });
    const [counts] = await result.json<{ rows: string; keys: string }>();
    expect(Number(counts?.rows)).toBeGreaterThan(Number(counts?.keys));
  });
});

// ---------------------------------------------------------------------------------------------
// Dashboard queries (the rollup)

const ROLLUP_WINDOWS = [
  { name: `${A}, the whole window`, project: A, from: FROM, to: TO },
  // Six whole hours: totals come from the hourly rollup.
  { name: `${A}, six whole hours`, project: A, from: FROM, to: FROM + 6 * HOUR },
  { name: `${A}, minutes 3 to 7`, project: A, from: FROM + 3 * MINUTE, to: FROM + 7 * MINUTE },
  { name: `${B}, the whole window`, project: B, from: FROM, to: TO },
  {
    name: `${C}, minutes 1 to 9 (a project id holding "--")`,
    project: C,
    from: FROM + MINUTE,
    to: TO - MINUTE,
  },
];

describe('minuteStats', () => {
  it.each(ROLLUP_WINDOWS)(
    'matches ground truth per minute and model: $name',
    async ({ project, from, to }) => {
      const expected = expectedMinuteGroups(within(project, from, to));
      expect(expected.length).toBeGreaterThan(5);

      const rows = await minuteStats(client, { projectId: project, from: new Date(from), to: new Date(to) });

      expect(rows.map((r) => `${r.minute} ${r.model}`)).toEqual(
        expected.map((g) => `${g.minute} ${g.model}`),
      );
      rows.forEach((row: MinuteStat, i) => {
        const group = expected[i]?.group ?? [];
        expect(row).toMatchObject({
          requests: group.length,
          errors: errorsIn(group),
          error_rate: expect.closeTo(errorsIn(group) / group.length, 12),
          latency_ms_avg: expect.closeTo(sum(latencies(group)) / group.length, 9),
          latency_ms_max: Math.max(...latencies(group)),
        });
        expectQuantile(row.latency_ms_p50, latencies(group), 0.5);
        expectQuantile(row.latency_ms_p95, latencies(group), 0.95);
        expectQuantile(row.latency_ms_p99, latencies(group), 0.99);
      });
    },
  );

  it('counts the minute of an event exactly at from and not the minute of one exactly at to', async () => {
    const rows = await minuteStats(client, { projectId: A, from: new Date(FROM), to: new Date(TO) });

    const first = rows.find((r) => r.minute === new Date(FROM).toISOString() && r.model === 'gpt-4o-mini');
    expect(first?.latency_ms_max).toBe(SPECIAL.atFrom.latency_ms);
    expect(rows.map((r) => ms(r.minute))).not.toContain(FROM - MINUTE);
    expect(rows.map((r) => ms(r.minute))).not.toContain(TO);
    expect(Math.max(...rows.map((r) => r.latency_ms_max))).toBe(SPECIAL.atFrom.latency_ms);
  });
});

const hourOf = (e: NormalizedEvent) => new Date(Math.floor(ms(e.timestamp) / HOUR) * HOUR).toISOString();

describe('hourStats', () => {
  it.each([
    { name: `${A}, six hours`, project: A, from: FROM, to: FROM + 6 * HOUR },
    { name: `${B}, from an hour before the data`, project: B, from: FROM - HOUR, to: FROM + 2 * HOUR },
  ])('matches ground truth per hour and model: $name', async ({ project, from, to }) => {
    const expected = groupBy(within(project, from, to), (e) => `${hourOf(e)} ${e.model}`)
      .map((group) => ({ hour: hourOf(group[0] as NormalizedEvent), model: group[0]?.model ?? '', group }))
      .sort((a, b) => compare(a.hour, b.hour) || compare(a.model, b.model));
    expect(expected.length).toBeGreaterThanOrEqual(3);

    const rows = await hourStats(client, { projectId: project, from: new Date(from), to: new Date(to) });

    expect(rows.map((r) => `${r.hour} ${r.model}`)).toEqual(expected.map((g) => `${g.hour} ${g.model}`));
    rows.forEach((row, i) => {
      const group = expected[i]?.group ?? [];
      expect(row).toMatchObject({
        requests: group.length,
        errors: errorsIn(group),
        latency_ms_avg: expect.closeTo(sum(latencies(group)) / group.length, 9),
        latency_ms_max: Math.max(...latencies(group)),
      });
      expectQuantile(row.latency_ms_p95, latencies(group), 0.95);
    });
  });
});

describe('modelUsage', () => {
  it.each(ROLLUP_WINDOWS)(
    'matches ground truth per model, costliest first: $name',
    async ({ project, from, to }) => {
      const groups = groupBy(within(project, from, to), (e) => e.model);
      expect(groups).toHaveLength(3);

      const rows = await modelUsage(client, { projectId: project, from: new Date(from), to: new Date(to) });

      const expected = groups
        .map((g) => ({
          model: g[0]?.model ?? '',
          requests: g.length,
          input_tokens: sum(g.map((e) => e.input_tokens)),
          output_tokens: sum(g.map((e) => e.output_tokens)),
          total_tokens: sum(g.map((e) => e.tokens_used)),
          cost_cents: sum(g.map((e) => e.cost_cents)),
        }))
        .sort((a, b) => b.cost_cents - a.cost_cents || compare(a.model, b.model));
      expect(rows).toEqual(expected.map((u) => ({ ...u, cost_cents: expect.closeTo(u.cost_cents, 9) })));
    },
  );
});

describe('summary', () => {
  it.each(ROLLUP_WINDOWS)('matches ground truth totals: $name', async ({ project, from, to }) => {
    const events = within(project, from, to);
    expect(events.length).toBeGreaterThan(30);

    const totals = await summary(client, { projectId: project, from: new Date(from), to: new Date(to) });

    expect(totals).toEqual({
      requests: events.length,
      errors: errorsIn(events),
      error_rate: expect.closeTo(errorsIn(events) / events.length, 12),
      latency_ms_avg: expect.closeTo(sum(latencies(events)) / events.length, 9),
      latency_ms_p95: expect.any(Number),
      latency_ms_max: Math.max(...latencies(events)),
      input_tokens: sum(events.map((e) => e.input_tokens)),
      output_tokens: sum(events.map((e) => e.output_tokens)),
      total_tokens: sum(events.map((e) => e.tokens_used)),
      cost_cents: expect.closeTo(sum(events.map((e) => e.cost_cents)), 9),
    });
    expectQuantile(totals.latency_ms_p95, latencies(events), 0.95);
  });

  it('gives zero totals and null ratios for a project without events', async () => {
    const totals = await summary(client, { projectId: EMPTY, from: new Date(FROM), to: new Date(TO) });

    expect(totals).toEqual({
      requests: 0,
      errors: 0,
      error_rate: null,
      latency_ms_avg: null,
      latency_ms_p95: null,
      latency_ms_max: null,
      input_tokens: 0,
      output_tokens: 0,
      total_tokens: 0,
      cost_cents: 0,
    });
    expect(await minuteStats(client, { projectId: EMPTY, from: new Date(FROM), to: new Date(TO) })).toEqual(
      [],
    );
    expect(await modelUsage(client, { projectId: EMPTY, from: new Date(FROM), to: new Date(TO) })).toEqual(
      [],
    );
  });

  it('accepts a window of exactly 31 days', async () => {
    const totals = await summary(client, { projectId: A, from: new Date(TO - 31 * DAY), to: new Date(TO) });

    expect(totals.requests).toBe(EVENTS.filter((e) => e.project_id === A && ms(e.timestamp) < TO).length);
  });
});

// ---------------------------------------------------------------------------------------------
// Raw-row queries

const RAW_WINDOWS = [
  { name: `${A}, the whole window`, project: A, from: FROM, to: TO },
  // Windows on raw rows need not be whole minutes.
  {
    name: `${A}, an inner window in milliseconds`,
    project: A,
    from: SPECIAL.inner.from,
    to: SPECIAL.inner.to,
  },
  { name: `${B}, the whole window`, project: B, from: FROM, to: TO },
  { name: `${C}, the whole window`, project: C, from: FROM, to: TO },
];
const LIMITS = [1, 10, 1_000];
const RAW_CASES = RAW_WINDOWS.flatMap((w) => LIMITS.map((limit) => ({ ...w, limit })));

describe('slowestCalls', () => {
  it.each(RAW_CASES)(
    'lists the $limit slowest calls as ground truth orders them: $name',
    async ({ project, from, to, limit }) => {
      const events = within(project, from, to);
      expect(events.length).toBeGreaterThan(limit === 1_000 ? 30 : limit);

      const rows = await slowestCalls(client, {
        projectId: project,
        from: new Date(from),
        to: new Date(to),
        limit,
      });

      expect(rows).toEqual(events.sort(bySlowest).slice(0, limit).map(callRow));
    },
  );

  it('includes a call exactly at from and excludes calls exactly at to and before from', async () => {
    const rows = await slowestCalls(client, {
      projectId: A,
      from: new Date(FROM),
      to: new Date(TO),
      limit: 3,
    });

    expect(rows.map((r) => r.span_id)).toEqual([
      SPECIAL.atFrom.span_id,
      SPECIAL.beforeTo.span_id,
      expect.any(String),
    ]);
  });

  it('bounds an inner window to the millisecond: at from is in, 1 ms before from and at to are out', async () => {
    const { inner } = SPECIAL;

    const rows = await slowestCalls(client, {
      projectId: A,
      from: new Date(inner.from),
      to: new Date(inner.to),
      limit: 2,
    });

    expect(rows.map((r) => r.span_id)).toEqual([inner.atFrom.span_id, inner.beforeTo.span_id]);
  });

  it('defaults to 100 rows', async () => {
    const rows = await slowestCalls(client, { projectId: A, from: new Date(FROM), to: new Date(TO) });

    expect(rows).toEqual(within(A, FROM, TO).sort(bySlowest).slice(0, 100).map(callRow));
  });
});

describe('failedCalls', () => {
  it.each(RAW_CASES)(
    'lists the $limit latest failures as ground truth orders them: $name',
    async ({ project, from, to, limit }) => {
      const failures = within(project, from, to).filter((e) => e.status === 'error');
      expect(failures.length).toBeGreaterThan(limit === 1_000 ? 3 : Math.min(limit, 3));

      const rows = await failedCalls(client, {
        projectId: project,
        from: new Date(from),
        to: new Date(to),
        limit,
      });

      expect(rows).toEqual(failures.sort(byLatest).slice(0, limit).map(failedCall));
    },
  );

  it.each([
    ['the whole window', { ...SPECIAL, from: FROM, to: TO }],
    ['an inner window in milliseconds', SPECIAL.inner],
  ])('bounds %s: a failure at from is in, at to and 1 ms before from are out', async (_name, edges) => {
    const rows = await failedCalls(client, {
      projectId: A,
      from: new Date(edges.from),
      to: new Date(edges.to),
      limit: 1_000,
    });

    const spans = rows.map((r) => r.span_id);
    expect(spans[0]).toBe(edges.beforeTo.span_id);
    expect(spans.at(-1)).toBe(edges.atFrom.span_id);
    expect(spans).not.toContain(edges.atTo.span_id);
    expect(spans).not.toContain(edges.beforeFrom.span_id);
  });
});

// ---------------------------------------------------------------------------------------------
// callCount: rows of its own projects, so the data set above keeps its ground truth.

const COUNT_A = 'count-a';
const COUNT_B = 'count-b';

/** A row as stored: a call and its metadata as the client sent it. */
interface StoredRow {
  readonly event: NormalizedEvent;
  readonly metadata: Record<string, unknown>;
}

function buildCountSet() {
  const random = seededRandom(5);
  const generator = eventGenerator({ seed: 13 });
  const sent: Sent[] = [];
  const add = (project: string, ms: number, metadata: Record<string, unknown>): Sent => {
    const generated = generator.next({ timestamp: new Date(ms).toISOString() });
    const raw = { ...generated, metadata: { ...generated.metadata, ...metadata } };
    const checked = checkEvent(JSON.parse(JSON.stringify(raw)), project);
    if (!checked.ok) throw new Error(`test event is invalid: ${checked.reason}`);
    const one = { raw, event: checked.event };
    sent.push(one);
    return one;
  };
  const anywhere = () => FROM + Math.floor(random() * 10 * MINUTE);
  // The same text as a number, a string and nearby values; a boolean and its text.
  const builds = [42, '42', 42.5, '042', true, 'true'];
  const tagged = (i: number) => ({
    load_run: i % 4 === 0 ? 'run-2' : 'run-1',
    deploy: { id: i % 3 === 0 ? 'd-7' : 'd-8', stage: { name: i % 2 === 0 ? 'main' : 'canary' } },
    build: builds[i % builds.length],
  });
  const runA = Array.from({ length: 60 }, (_, i) => add(COUNT_A, anywhere(), tagged(i)));
  for (let i = 0; i < 20; i++) add(COUNT_B, anywhere(), tagged(i));

  const inner = { from: FROM + 3 * MINUTE + 500, to: FROM + 6 * MINUTE + 250 };
  // Calls on each bound and 1 ms before it, of the whole window and of the inner one.
  for (const bound of [FROM, TO, inner.from, inner.to]) {
    for (const at of [bound - 1, bound]) add(COUNT_A, at, { load_run: 'run-1', edge: 'yes' });
  }
  add(COUNT_A, anywhere(), { load_run: null, l1: { l2: { l3: { l4: { l5: 'deep' } } } } });
  // Keys that name Object.prototype's members, as JSON.parse makes them: keys like any other.
  // (`__proto__` itself the contract rejects.)
  add(COUNT_A, anywhere(), JSON.parse('{"constructor": "p", "deploy": {"hasOwnProperty": "q"}}'));

  // Three run-1 calls reach the table again under tokens of their own, the first of them twice.
  const again = runA.filter((r) => r.raw.metadata?.load_run === 'run-1').slice(0, 3);
  const duplicates: Sent[][] = [again, again.slice(0, 1)];
  const stored: StoredRow[] = [...sent, ...duplicates.flat()].map(({ raw, event }) => ({
    event,
    metadata: raw.metadata as Record<string, unknown>,
  }));
  return { sent, duplicates, stored, inner };
}

const COUNT_SET = buildCountSet();

/** What `toString` prints of a JSON path: scalars as text, anything else (or nothing) as ''. */
function metadataText(metadata: Record<string, unknown>, path: string): string {
  let value: unknown = metadata;
  for (const key of path.split('.')) {
    value =
      value !== null && typeof value === 'object' && Object.hasOwn(value, key)
        ? (value as Record<string, unknown>)[key]
        : undefined;
  }
  return ['string', 'number', 'boolean'].includes(typeof value) ? String(value) : '';
}

function expectedCount(project: string, from: number, to: number, filters: MetadataFilters) {
  const rows = COUNT_SET.stored.filter(
    ({ event, metadata }) =>
      event.project_id === project &&
      ms(event.timestamp) >= from &&
      ms(event.timestamp) < to &&
      Object.entries(filters).every(([path, value]) => metadataText(metadata, path) === value),
  );
  const distinct = new Set(rows.map(({ event }) => `${event.trace_id}/${event.span_id}`)).size;
  return { calls: rows.length, distinct_calls: distinct, duplicate_calls: rows.length - distinct };
}

describe('callCount', () => {
  const countWindow = { projectId: COUNT_A, from: new Date(FROM), to: new Date(TO) };
  const count = (metadata: MetadataFilters, window: Partial<typeof countWindow> = {}) =>
    callCount(client, { ...countWindow, ...window, metadata });

  beforeAll(async () => {
    const store = new ClickHouseLoaderStore(client);
    const ndjson = (batch: Sent[]) =>
      batch
        .map(({ raw, event }) =>
          JSON.stringify({
            ...raw,
            _project_id: event.project_id,
            _received_at: new Date(FROM + HOUR).toISOString(),
            _request_id: 'request-count',
            _request_key: 'count',
          }),
        )
        .join('\n');
    await store.insertEvents(ndjson(COUNT_SET.sent), 'count:all');
    for (const [i, batch] of COUNT_SET.duplicates.entries()) {
      await store.insertEvents(ndjson(batch), `count:again:${i}`);
    }
    // A batch sent again under its own token is deduplicated: it adds no row.
    await store.insertEvents(ndjson(COUNT_SET.sent), 'count:all');
  });

  it.each<[string, MetadataFilters, { project?: string; from?: number; to?: number }]>([
    ['every call of the window without filters', {}, {}],
    ['one filter', { load_run: 'run-1' }, {}],
    ['one filter, another value', { load_run: 'run-2' }, {}],
    ['two filters, both must match', { load_run: 'run-1', 'deploy.id': 'd-7' }, {}],
    ['a nested path', { 'deploy.stage.name': 'canary' }, {}],
    [
      'four filters',
      { load_run: 'run-1', 'deploy.id': 'd-8', 'deploy.stage.name': 'canary', build: '42' },
      {},
    ],
    ['a number and a string of the same text', { build: '42' }, {}],
    ['a boolean and its text', { build: 'true' }, {}],
    ['a fraction', { build: '42.5' }, {}],
    ['a generated float on every call', { temperature: '0.7' }, {}],
    ['an inner window in milliseconds', { load_run: 'run-1' }, COUNT_SET.inner],
    ['the other project', { load_run: 'run-1' }, { project: COUNT_B }],
  ])('counts as ground truth does: %s', async (_name, metadata, window) => {
    const project = window.project ?? COUNT_A;
    const from = window.from ?? FROM;
    const to = window.to ?? TO;
    const expected = expectedCount(project, from, to, metadata);
    expect(expected.calls).toBeGreaterThan(3);

    const counted = await count(metadata, { projectId: project, from: new Date(from), to: new Date(to) });

    expect(counted).toEqual(expected);
  });

  it('counts a call stored twice as one distinct call and a duplicate row', async () => {
    const run1 = await count({ load_run: 'run-1' });
    const run2 = await count({ load_run: 'run-2' });
    const sentRun1 = COUNT_SET.sent.filter(
      ({ event, raw }) =>
        event.project_id === COUNT_A &&
        ms(event.timestamp) >= FROM &&
        ms(event.timestamp) < TO &&
        raw.metadata?.load_run === 'run-1',
    );

    // Three calls again, one of them twice more; the batch sent again under its token added none.
    expect(run1).toEqual({ calls: sentRun1.length + 4, distinct_calls: sentRun1.length, duplicate_calls: 4 });
    expect(run2.duplicate_calls).toBe(0);
    expect(run2.calls).toBe(run2.distinct_calls);
  });

  it('matches a number and a string of the same text, and nothing else', async () => {
    const exactly = (value: unknown) =>
      COUNT_SET.stored.filter(
        ({ event, metadata }) =>
          event.project_id === COUNT_A && ms(event.timestamp) >= FROM && metadata.build === value,
      ).length;
    expect(exactly(42)).toBeGreaterThan(0);
    expect(exactly('42')).toBeGreaterThan(0);

    expect((await count({ build: '42' })).calls).toBe(exactly(42) + exactly('42'));
    expect((await count({ build: '042' })).calls).toBe(exactly('042'));
    expect((await count({ build: '42.0' })).calls).toBe(0);
  });

  it('includes a call exactly at from and excludes calls exactly at to and 1 ms before from', async () => {
    const { inner } = COUNT_SET;
    const edges = (from: number, to: number) =>
      count({ edge: 'yes' }, { from: new Date(from), to: new Date(to) }).then((c) => c.calls);

    // Of the eight: all but 1 ms before FROM and at TO.
    expect(await edges(FROM, TO)).toBe(6);
    expect(await edges(FROM - 1, TO + 1)).toBe(8);
    // At inner.from and 1 ms before inner.to.
    expect(await edges(inner.from, inner.to)).toBe(2);
    expect(await edges(inner.from - 1, inner.to + 1)).toBe(4);
  });

  it("reads a path as deep as the event contract nests, and keys named after Object.prototype's members", async () => {
    expect((await count({ 'l1.l2.l3.l4.l5': 'deep' })).calls).toBe(1);
    expect((await count(Object.fromEntries([['constructor', 'p']]))).calls).toBe(1);
    expect((await count(Object.fromEntries([['deploy.hasOwnProperty', 'q']]))).calls).toBe(1);
  });

  it('matches no value at a missing path, a null, or an object', async () => {
    const nowhere: MetadataFilters[] = [
      { nope: 'x' },
      { 'load_run.inner': 'run-1' },
      { deploy: JSON.stringify({ id: 'd-7', stage: { name: 'main' } }) },
      { 'deploy.stage': '{"name":"main"}' },
      { l1: 'deep' },
      { load_run: 'null' },
    ];
    for (const metadata of nowhere) {
      expect(await count(metadata)).toEqual({ calls: 0, distinct_calls: 0, duplicate_calls: 0 });
    }
  });

  it("never counts another project's calls", async () => {
    const inB = expectedCount(COUNT_B, FROM, TO, { load_run: 'run-1' });
    const inA = expectedCount(COUNT_A, FROM, TO, { load_run: 'run-1' });
    expect(inB.calls).toBeGreaterThan(0);

    expect(await count({ load_run: 'run-1' }, { projectId: COUNT_B })).toEqual(inB);
    expect(await count({ load_run: 'run-1' })).toEqual(inA);
    expect((await count({ load_run: 'run-1' }, { projectId: EMPTY })).calls).toBe(0);
    // The main data set's projects have metadata of their own, but no load_run.
    expect((await count({ load_run: 'run-1' }, { projectId: A })).calls).toBe(0);
  });
});

describe('traceSpans', () => {
  const spansOf = (project: string, traceId: string) =>
    EVENTS.filter((e) => e.project_id === project && e.trace_id === traceId)
      .sort((a, b) => ms(a.timestamp) - ms(b.timestamp) || compare(a.span_id, b.span_id))
      .map(traceSpan);

  it.each([
    ['a four-span trace', A, SPECIAL.multiSpanTraceId, 4],
    ['a span with quotes, backslashes, newlines and emoji in its text', A, SPECIAL.oddTextTraceId, 1],
    ['the shared trace id in A', A, SPECIAL.sharedTraceId, 2],
    ['the shared trace id in B', B, SPECIAL.sharedTraceId, 3],
    ['a trace whose two spans share a timestamp (ordered by span id)', A, SPECIAL.tieTraceId, 2],
    [
      'a trace of the project whose id holds "--"',
      C,
      EVENTS.find((e) => e.project_id === C)?.trace_id ?? '',
      1,
    ],
  ])(
    'returns every span of %s, oldest first, with prompt and response',
    async (_name, project, traceId, atLeast) => {
      const expected = spansOf(project, traceId);
      expect(expected.length).toBeGreaterThanOrEqual(atLeast);

      const spans = await traceSpans(client, { projectId: project, traceId });

      expect(spans).toEqual(expected);
    },
  );

  it('links child spans to their root', async () => {
    const spans = await traceSpans(client, { projectId: A, traceId: SPECIAL.multiSpanTraceId });

    const [root, ...children] = spans;
    expect(root?.parent_span_id).toBe('');
    expect(children.map((s) => s.parent_span_id)).toEqual([root?.span_id, root?.span_id, root?.span_id]);
  });

  it('returns nothing for a trace id that no span has, and nothing of another project', async () => {
    const aTraceOfB = EVENTS.find((e) => e.project_id === B && e.trace_id !== SPECIAL.sharedTraceId);

    expect(await traceSpans(client, { projectId: A, traceId: 'f'.repeat(32) })).toEqual([]);
    expect(await traceSpans(client, { projectId: A, traceId: aTraceOfB?.trace_id ?? '' })).toEqual([]);
    expect(await traceSpans(client, { projectId: EMPTY, traceId: SPECIAL.multiSpanTraceId })).toEqual([]);
  });
});

describe('tenant isolation', () => {
  it("never returns another project's calls", async () => {
    const window = { from: new Date(FROM), to: new Date(TO), limit: 1_000 };
    for (const project of [A, B, C]) {
      const own = new Set(EVENTS.filter((e) => e.project_id === project).map((e) => e.span_id));
      const slow = await slowestCalls(client, { ...window, projectId: project });
      const failed = await failedCalls(client, { ...window, projectId: project });

      expect(slow.length).toBeGreaterThan(0);
      expect([...slow, ...failed].every((r) => own.has(r.span_id))).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Input validation: rejected before the engine is touched

/** A client whose every use throws: a rejection must come before any query. */
const NO_ENGINE = new Proxy(
  {},
  {
    get(_target, property) {
      throw new Error(`the client was used (${String(property)}) before the input was checked`);
    },
  },
) as ClickHouseClient;

const GOOD = { projectId: A, from: new Date(FROM), to: new Date(TO) };

describe('input validation', () => {
  it.each([
    [
      'rejects a project id with a quote',
      () => summary(NO_ENGINE, { ...GOOD, projectId: "proj-a' OR '1'='1" }),
      /projectId: must be 1-64/,
    ],
    [
      'rejects a project id with a semicolon and a comment',
      () => minuteStats(NO_ENGINE, { ...GOOD, projectId: 'a; DROP TABLE events --' }),
      /projectId/,
    ],
    ['rejects an empty project id', () => modelUsage(NO_ENGINE, { ...GOOD, projectId: '' }), /projectId/],
    [
      'rejects a project id of 65 characters',
      () => slowestCalls(NO_ENGINE, { ...GOOD, projectId: 'p'.repeat(65) }),
      /projectId/,
    ],
    [
      'rejects a from that is not a Date',
      () => summary(NO_ENGINE, { ...GOOD, from: '2026-01-01T00:00:00Z' as unknown as Date }),
      /from: must be a valid Date/,
    ],
    [
      'rejects an invalid Date',
      () => failedCalls(NO_ENGINE, { ...GOOD, to: new Date(Number.NaN) }),
      /to: must be a valid Date/,
    ],
    ['rejects limit 0', () => slowestCalls(NO_ENGINE, { ...GOOD, limit: 0 }), /limit: must be at least 1/],
    [
      'rejects limit 1001',
      () => failedCalls(NO_ENGINE, { ...GOOD, limit: 1_001 }),
      /limit: must be at most 1000/,
    ],
    [
      'rejects a fractional limit',
      () => slowestCalls(NO_ENGINE, { ...GOOD, limit: 2.5 }),
      /limit: must be a whole number/,
    ],
    [
      'rejects a trace id that is not hex',
      () => traceSpans(NO_ENGINE, { projectId: A, traceId: 'g'.repeat(32) }),
      /traceId: must be 32 lowercase hex/,
    ],
    [
      'rejects an uppercase trace id',
      () => traceSpans(NO_ENGINE, { projectId: A, traceId: 'A'.repeat(32) }),
      /traceId/,
    ],
    [
      'rejects a trace id of 31 characters',
      () => traceSpans(NO_ENGINE, { projectId: A, traceId: 'a'.repeat(31) }),
      /traceId/,
    ],
    [
      'rejects a trace id carrying SQL',
      () => traceSpans(NO_ENGINE, { projectId: A, traceId: "' OR 1=1 --" }),
      /traceId/,
    ],
    [
      'rejects a metadata path key with a space',
      () => callCount(NO_ENGINE, { ...GOOD, metadata: { 'a b': 'x' } }),
      /metadata\.a b: each key of a metadata path must be 1-64 letters/,
    ],
    [
      'rejects a metadata path key with a backquote',
      () => callCount(NO_ENGINE, { ...GOOD, metadata: { 'a`) = 1 OR (`b': 'x' } }),
      /each key of a metadata path/,
    ],
    [
      'rejects an empty metadata path key',
      () => callCount(NO_ENGINE, { ...GOOD, metadata: { 'a..b': 'x' } }),
      /metadata\.a\.\.b: each key .* got key ""/,
    ],
    [
      'rejects an empty metadata path',
      () => callCount(NO_ENGINE, { ...GOOD, metadata: { '': 'x' } }),
      /each key of a metadata path/,
    ],
    [
      'rejects a metadata path key of 65 characters',
      () => callCount(NO_ENGINE, { ...GOOD, metadata: { ['k'.repeat(65)]: 'x' } }),
      /each key of a metadata path/,
    ],
    [
      'rejects a metadata path of 6 keys',
      () => callCount(NO_ENGINE, { ...GOOD, metadata: { 'a.b.c.d.e.f': 'x' } }),
      /metadata\.a\.b\.c\.d\.e\.f: a metadata path has at most 5 keys/,
    ],
    [
      'rejects 5 metadata filters',
      () => callCount(NO_ENGINE, { ...GOOD, metadata: { a: '1', b: '2', c: '3', d: '4', e: '5' } }),
      /metadata: must hold at most 4 filters; got 5/,
    ],
    [
      'rejects an empty metadata value',
      () => callCount(NO_ENGINE, { ...GOOD, metadata: { load_run: '' } }),
      /metadata\.load_run: must not be empty/,
    ],
    [
      'rejects a metadata value of 257 characters',
      () => callCount(NO_ENGINE, { ...GOOD, metadata: { load_run: 'v'.repeat(257) } }),
      /metadata\.load_run: must be at most 256 characters; got 257/,
    ],
    [
      'rejects a metadata value that is not a string',
      () => callCount(NO_ENGINE, { ...GOOD, metadata: { build: 42 as unknown as string } }),
      /metadata\.build: must be a string/,
    ],
    [
      'rejects metadata that is not an object',
      () => callCount(NO_ENGINE, { ...GOOD, metadata: ['a'] as unknown as MetadataFilters }),
      /metadata: must be an object/,
    ],
    [
      'rejects a call list of an unknown order',
      () => listCalls(NO_ENGINE, { ...GOOD, order: 'fastest' as 'latest' }),
      /order: must be "latest" or "slowest"/,
    ],
    [
      'rejects a call list of an unknown status',
      () => listCalls(NO_ENGINE, { ...GOOD, status: 'failed' as 'error' }),
      /status: must be "ok" or "error"/,
    ],
    ['rejects a call list of an empty model', () => listCalls(NO_ENGINE, { ...GOOD, model: '' }), /model/],
    [
      'rejects a call list filtering a metadata path with a backquote',
      () => listCalls(NO_ENGINE, { ...GOOD, metadata: { 'a`b': 'x' } }),
      /each key of a metadata path/,
    ],
    [
      'rejects daily costs over a window that is not whole hours',
      () => dailyCosts(NO_ENGINE, { ...GOOD, from: new Date(Date.UTC(2026, 0, 1, 0, 30)) }),
      /from: must be a whole hour/,
    ],
    [
      'rejects a project id with a quote for a trace',
      () => traceSpans(NO_ENGINE, { projectId: "a'", traceId: 'a'.repeat(32) }),
      /projectId/,
    ],
  ] as const)('%s', async (_name, run, message) => {
    const attempt = run();

    await expect(attempt).rejects.toBeInstanceOf(QueryInputError);
    await expect(attempt).rejects.toThrow(message);
  });
});
