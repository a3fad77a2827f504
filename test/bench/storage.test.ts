import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  groupColumns,
  measureStorage,
  type StorageResult,
  storageFigures,
  storagePerRow,
} from '../../bench/storage.js';
import { MEAN_PROMPT_CHARS, MEAN_RESPONSE_CHARS } from '../../lib/workloads/event-generator.js';
import { embeddedClickHouse, rows } from '../helpers/clickhouse.js';

const EVENTS = 2_000;
const EVENTS_PER_SEC = 10;
const PROJECTS = 3;
const MODELS = 6;

describe('groupColumns', () => {
  it('puts prompt and response in bodies, metadata alone in metadata, every other column in the rest', () => {
    const column = (name: string, compressed: number) => ({ name, compressed, uncompressed: compressed * 2 });
    const groups = groupColumns([
      column('prompt', 100),
      column('response', 200),
      column('metadata', 7),
      column('trace_id', 5),
      column('timestamp', 3),
    ]);
    expect(groups).toEqual({
      bodies: { compressed: 300, uncompressed: 600 },
      metadata: { compressed: 7, uncompressed: 14 },
      rest: { compressed: 8, uncompressed: 16 },
    });
  });
});

describe('measureStorage on the migrated engine', () => {
  let engine: Awaited<ReturnType<typeof embeddedClickHouse>>;
  let result: StorageResult;
  const endMs = Date.now();

  beforeAll(async () => {
    engine = await embeddedClickHouse();
    result = await measureStorage(engine.client, {
      events: EVENTS,
      eventsPerSec: EVENTS_PER_SEC,
      eventsPerInsert: 500,
      projects: PROJECTS,
      gzipSampleEvents: 1_000,
      endMs,
    });
  }, 30_000);
  afterAll(() => engine?.close());

  it('stores every event, merged to one part per table', async () => {
    expect(result.tables.events.rows).toBe(EVENTS);
    for (const table of ['events', 'events_minute', 'events_hour'] as const) {
      expect(result.tables[table].parts, table).toBe(1);
    }
    const [counted] = await rows<{ n: number }>(engine.client, 'SELECT count() AS n FROM events');
    expect(counted?.n).toBe(EVENTS);
  });

  it("adds the groups up to the events part's column bytes, as system.parts counts them", async () => {
    const [part] = await rows<{ compressed: number; uncompressed: number }>(
      engine.client,
      `SELECT sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed
         FROM system.parts WHERE database = currentDatabase() AND table = 'events' AND active`,
    );
    const { bodies, metadata, rest } = result.groups;
    expect(bodies.compressed + metadata.compressed + rest.compressed).toBe(part?.compressed);
    expect(bodies.uncompressed + metadata.uncompressed + rest.uncompressed).toBe(part?.uncompressed);
    expect(result.tables.events.columns).toEqual({
      compressed: part?.compressed,
      uncompressed: part?.uncompressed,
    });
  });

  it("measures the bodies as the generator's 2,000 + 3,000 characters per row before compression", () => {
    const raw = result.groups.bodies.uncompressed / EVENTS;
    // Each text is its characters (a trailing space trimmed at most) plus its length, at most 8 bytes.
    expect(raw).toBeGreaterThanOrEqual(MEAN_PROMPT_CHARS + MEAN_RESPONSE_CHARS - 2);
    expect(raw).toBeLessThanOrEqual(MEAN_PROMPT_CHARS + MEAN_RESPONSE_CHARS + 2 * 8);
  });

  it('finds bodies the largest group, every group compressed, and the disk above the columns', () => {
    const p = storagePerRow(result);
    for (const group of ['bodies', 'metadata', 'rest'] as const) {
      const b = result.groups[group];
      expect(b.compressed, group).toBeGreaterThan(0);
      expect(b.compressed, group).toBeLessThanOrEqual(b.uncompressed);
    }
    expect(p.bodies).toBeGreaterThan(p.metadata + p.rest);
    expect(p.bodies + p.metadata + p.rest).toBeCloseTo(p.columns, 6);
    expect(p.onDisk).toBeGreaterThan(p.columns);
    expect(p.ratio.bodies).toBeGreaterThan(1);
  });

  it('rolls the events up per project, minute and model, and the hours from the minutes', async () => {
    // 2,000 events at 10 a second: 200 seconds, so at most 5 minutes (and 2 hours) are touched.
    const minutes = result.tables.events_minute.rows;
    expect(minutes).toBeGreaterThan(3 * PROJECTS);
    expect(minutes).toBeLessThanOrEqual(5 * PROJECTS * MODELS);
    expect(result.tables.events_hour.rows).toBeLessThanOrEqual(2 * PROJECTS * MODELS);
    const [sums] = await rows<{ minute: number; hour: number }>(
      engine.client,
      'SELECT (SELECT sum(requests) FROM events_minute) AS minute, (SELECT sum(requests) FROM events_hour) AS hour',
    );
    expect(sums).toEqual({ minute: EVENTS, hour: EVENTS });
    const p = storagePerRow(result);
    expect(p.rollupsPerEvent).toBeCloseTo(
      (result.tables.events_minute.onDisk + result.tables.events_hour.onDisk) / EVENTS,
      9,
    );
    expect(p.minuteRow).toBeGreaterThan(0);
  });

  it('reports the figures per row, information only, and the synthetic text as compressible as prose', () => {
    const p = storagePerRow(result);
    const figures = storageFigures(result);
    expect(figures.every((f) => f.benchmark === 'storage' && f.target === undefined)).toBe(true);
    expect(figures.find((f) => f.figure.startsWith('events: bodies'))?.value).toBe(p.bodies);
    expect(figures.find((f) => f.figure.startsWith('rollups on disk per source event'))?.value).toBe(
      p.rollupsPerEvent,
    );
    expect(result.gzipSample.events).toBe(1_000);
    expect(p.textGzipRatio).toBeGreaterThan(2);
    expect(p.textGzipRatio).toBeLessThan(5);
    expect(result.engineVersion).toMatch(/^\d+\.\d+/);
  });

  it('stores the independent-text control with the events codec, as long as the sample, and drops it', async () => {
    const control = result.independentText;
    expect(control.rows).toBe(1_000);
    expect(control.codec).toMatch(/ZSTD/);
    const raw = control.uncompressed / control.rows;
    expect(raw).toBeGreaterThanOrEqual(MEAN_PROMPT_CHARS + MEAN_RESPONSE_CHARS - 2);
    expect(raw).toBeLessThanOrEqual(MEAN_PROMPT_CHARS + MEAN_RESPONSE_CHARS + 2 * 8);
    expect(control.compressed).toBeLessThan(control.uncompressed);
    // The same words, drawn one by one: gzip sees the same prose as in the generator's text.
    expect(Math.abs(control.gzipRatio - storagePerRow(result).textGzipRatio)).toBeLessThan(0.3);
    const left = await rows<{ n: number }>(
      engine.client,
      "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'storage_text_control'",
    );
    expect(left).toEqual([{ n: 0 }]);
  });
});
