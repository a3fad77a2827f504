import { gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ArchiveObjectInfo,
  type ArchiveReader,
  partitionPrefixes,
  type RestoreState,
  type RestoreTier,
} from '../../../functions/replay/core.js';
import type { ReplayHandlerDeps, ReplayRequest } from '../../../functions/replay/handler.js';
import { archiveObjectKey } from '../../../functions/shared/contract/archive-layout.js';
import { encodeHeaderLine, STREAM_RECORD_FORMAT } from '../../../functions/shared/contract/stream-record.js';
import { ClickHouseLoaderStore } from '../../../functions/shared/load/clickhouse-store.js';
import { REPLAY_COST_ASSUMPTIONS } from '../../../lib/pricing/replay-cost.js';
import { eventGenerator } from '../../../lib/workloads/event-generator.js';
import { embeddedClickHouse, insertDeadLetters, rows } from '../../helpers/clickhouse.js';

/** An archive bucket in memory: S3's answers to a listing, a GET, a HEAD's restore and RestoreObject. */
class FakeArchive implements ArchiveReader {
  readonly location = 's3://evalforge-archive-test';
  readonly objects = new Map<string, { bytes: Buffer; storageClass?: string; restore?: RestoreState }>();
  readonly restores: [string, RestoreTier, number][] = [];
  readonly reads: string[] = [];

  async list(prefix: string): Promise<ArchiveObjectInfo[]> {
    return [...this.objects]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, o]) => ({
        key,
        size: o.bytes.length,
        ...(o.storageClass ? { storageClass: o.storageClass } : {}),
      }));
  }
  async get(key: string): Promise<Buffer> {
    this.reads.push(key);
    const object = this.objects.get(key);
    if (!object) throw new Error(`NoSuchKey: ${key}`);
    return object.bytes;
  }
  async restoreState(key: string): Promise<RestoreState> {
    return this.objects.get(key)?.restore ?? 'not-restored';
  }
  async restore(key: string, tier: RestoreTier, days: number): Promise<void> {
    this.restores.push([key, tier, days]);
  }
}

const context = { functionName: 'evalforge-replay', awsRequestId: 'req-replay' } as unknown as Context;
const NOW = Date.parse('2026-12-01T00:00:00Z');
const HOUR = Date.parse('2026-11-30T10:00:00Z');
const PROJECT = 'proj-replay';
const generator = eventGenerator({ seed: 11, now: () => HOUR });
let requestNumber = 0;

/** One stream record as the validator writes it: its header member, the body, the newline member. */
function record(receivedAt: number, events: number, project = PROJECT): { bytes: Buffer; events: number } {
  requestNumber++;
  const header = {
    format: STREAM_RECORD_FORMAT,
    project_id: project,
    key_id: '0123456789abcdef',
    received_at: new Date(receivedAt).toISOString(),
    request_id: `req-${requestNumber}`,
    request_key: requestNumber.toString(16).padStart(64, '0'),
    part: 0,
    events,
  } as const;
  const lines = Array.from({ length: events }, () => JSON.stringify(generator.next()));
  return {
    bytes: Buffer.concat([gzipSync(encodeHeaderLine(header)), gzipSync(lines.join('\n')), gzipSync('\n')]),
    events,
  };
}

let objectNumber = 0;
/** An archive object of records, under the key Firehose gives it in the hour of its first record. */
function archiveObject(records: { bytes: Buffer }[], oldestArrival: number): { key: string; bytes: Buffer } {
  objectNumber++;
  return {
    key: archiveObjectKey({
      deliveryStreamName: 'evalforge-archive',
      version: 1,
      oldestArrival: new Date(oldestArrival),
      deliveredAt: new Date(oldestArrival + 120_000),
      id: `00000000-0000-4000-8000-${String(objectNumber).padStart(12, '0')}`,
    }),
    bytes: Buffer.concat(records.map((r) => r.bytes)),
  };
}

/** An item of an S3 listObjectsV2 item reader, as the ItemBatcher hands it on. */
const listed = (key: string, size: number, storageClass = 'STANDARD') => ({
  Etag: '"0123456789abcdef0123456789abcdef"',
  Key: key,
  LastModified: 1_764_496_800,
  Size: size,
  StorageClass: storageClass,
});

const RANGE = { from: '2026-11-30T10:00:00Z', to: '2026-11-30T11:00:00Z' };
const BATCH_INPUT = { ...RANGE, project: null, restoreTier: null, restoreOnly: null };

let client: ClickHouseClient;
let close: () => Promise<void>;
let archive: FakeArchive;
let handler: (event: ReplayRequest | Record<string, unknown>, context: Context) => Promise<unknown>;
let handlerModule: typeof import('../../../functions/replay/handler.js');

const countEvents = async (project = PROJECT) =>
  (await rows<{ n: number }>(client, `SELECT count() AS n FROM events WHERE project_id = '${project}'`))[0]
    ?.n;

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'EvalForge');
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation(() => undefined);
  }
  ({ client, close } = await embeddedClickHouse());
  archive = new FakeArchive();
  handlerModule = await import('../../../functions/replay/handler.js');
  const deps: ReplayHandlerDeps = {
    archive: () => archive,
    store: async () => new ClickHouseLoaderStore(client),
    client: async () => client,
    defaultMaxConcurrency: () => 3,
    now: () => NOW,
  };
  handler = handlerModule.createReplayHandler(deps) as typeof handler;
}, 120_000);

afterAll(async () => {
  await close();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('the replay function: plan', () => {
  it('answers the hour prefixes of the range, from the hour before it, with the defaults filled in', async () => {
    const answer = await handler(
      { action: 'plan', from: '2026-11-30T10:30:00Z', to: '2026-11-30T12:00:00Z', project: PROJECT },
      context,
    );
    expect(answer).toEqual({
      prefixes: partitionPrefixes({
        fromMs: Date.parse('2026-11-30T10:30:00Z'),
        toMs: Date.parse('2026-11-30T12:00:00Z'),
      }),
      from: '2026-11-30T10:30:00.000Z',
      to: '2026-11-30T12:00:00.000Z',
      project: PROJECT,
      restoreTier: null,
      restoreOnly: false,
      maxConcurrency: 3,
    });
    expect((answer as { prefixes: string[] }).prefixes).toEqual([
      'events/year=2026/month=11/day=30/hour=09/',
      'events/year=2026/month=11/day=30/hour=10/',
      'events/year=2026/month=11/day=30/hour=11/',
    ]);
  });

  it('keeps the rate cap and restore tier an execution names', async () => {
    const answer = await handler(
      { action: 'plan', ...RANGE, maxConcurrency: 12, restoreTier: 'Bulk', restoreOnly: true },
      context,
    );
    expect(answer).toMatchObject({
      maxConcurrency: 12,
      restoreTier: 'Bulk',
      restoreOnly: true,
      project: null,
    });
  });

  it.each([
    [{ action: 'plan', from: 'yesterday', to: RANGE.to }, /from: must be an ISO-8601 time/],
    [{ action: 'plan', from: RANGE.to, to: RANGE.from }, /from must be before to/],
    [{ action: 'plan', ...RANGE, project: 'not a project' }, /is not a project id/],
    [{ action: 'plan', ...RANGE, maxConcurrency: 0 }, /maxConcurrency/],
    [{ action: 'plan', ...RANGE, projct: PROJECT }, /projct/],
    [{ action: 'plan', ...RANGE, restoreOnly: true }, /restoreOnly needs a restoreTier/],
    [{ action: 'replay', ...RANGE }, /action must be one of plan, objects, sum, redrive/],
  ])('rejects %j with ReplayInputError naming the fault', async (event, message) => {
    const failure = handler(event, context);
    await expect(failure).rejects.toMatchObject({ name: 'ReplayInputError' });
    await expect(failure).rejects.toThrow(message);
  });
});

describe('the replay function: objects', () => {
  it('loads the range’s records of a batch once, skips other keys and records, and adds nothing the second time', async () => {
    const first = archiveObject(
      [record(HOUR + 5 * 60_000, 20), record(HOUR + 40 * 60_000, 15)],
      HOUR + 5 * 60_000,
    );
    // Its last record arrived after the range: skipped, as is the error output's key.
    const second = archiveObject(
      [record(HOUR + 50 * 60_000, 10), record(HOUR + 65 * 60_000, 7)],
      HOUR + 50 * 60_000,
    );
    archive.objects.set(first.key, { bytes: first.bytes });
    archive.objects.set(second.key, { bytes: second.bytes });
    const event = {
      action: 'objects',
      Items: [
        listed(first.key, first.bytes.length),
        listed(second.key, second.bytes.length),
        listed('errors/processing-failed/year=2026/month=11/day=30/hour=10/x.gz', 12),
      ],
      BatchInput: BATCH_INPUT,
    };
    const totals = await handler(event, context);
    expect(totals).toEqual({
      objects: 2,
      bytes: first.bytes.length + second.bytes.length,
      records: 3,
      events: 45,
      duplicateEvents: 0,
      deadLetters: 0,
      skippedRecords: 1,
    });
    expect(await countEvents()).toBe(45);

    const again = await handler(event, context);
    expect(again).toMatchObject({ objects: 2, events: 0, duplicateEvents: 45 });
    expect(await countEvents()).toBe(45);
  });

  it('restores an archived object at the tier asked, fails the batch as ObjectNotRestored, and loads it once restored', async () => {
    const archived = archiveObject([record(HOUR + 10 * 60_000, 5, 'proj-archived')], HOUR + 10 * 60_000);
    archive.objects.set(archived.key, { bytes: archived.bytes, storageClass: 'DEEP_ARCHIVE' });
    const event = {
      action: 'objects',
      Items: [listed(archived.key, archived.bytes.length, 'DEEP_ARCHIVE')],
      BatchInput: { ...BATCH_INPUT, restoreTier: 'Bulk' },
    };
    const waiting = handler(event, context);
    await expect(waiting).rejects.toMatchObject({ name: 'ObjectNotRestored' });
    await expect(waiting).rejects.toThrow(/wait for their restore/);
    expect(archive.restores).toContainEqual([archived.key, 'Bulk', handlerModule.RESTORE_DAYS]);
    expect(archive.reads).not.toContain(archived.key);

    archive.objects.set(archived.key, {
      bytes: archived.bytes,
      storageClass: 'DEEP_ARCHIVE',
      restore: 'in-progress',
    });
    await expect(handler(event, context)).rejects.toMatchObject({ name: 'ObjectNotRestored' });

    archive.objects.set(archived.key, {
      bytes: archived.bytes,
      storageClass: 'DEEP_ARCHIVE',
      restore: 'restored',
    });
    expect(await handler(event, context)).toMatchObject({ objects: 1, events: 5 });
    expect(await countEvents('proj-archived')).toBe(5);
  });

  it('fails without retrying an archived object when the replay names no restore tier', async () => {
    const archived = archiveObject([record(HOUR + 20 * 60_000, 3)], HOUR + 20 * 60_000);
    archive.objects.set(archived.key, { bytes: archived.bytes, storageClass: 'GLACIER' });
    const failure = handler(
      { action: 'objects', Items: [listed(archived.key, 100, 'GLACIER')], BatchInput: BATCH_INPUT },
      context,
    );
    await expect(failure).rejects.toMatchObject({ name: 'ReplayInputError' });
    await expect(failure).rejects.toThrow(/"restoreTier": "Bulk"/);
  });

  it('only asks for the restores with restoreOnly, counting them, and loads nothing', async () => {
    const archived = archiveObject([record(HOUR + 30 * 60_000, 4, 'proj-restore-only')], HOUR + 30 * 60_000);
    archive.objects.set(archived.key, { bytes: archived.bytes, storageClass: 'DEEP_ARCHIVE' });
    const totals = await handler(
      {
        action: 'objects',
        Items: [listed(archived.key, archived.bytes.length, 'DEEP_ARCHIVE')],
        BatchInput: { ...BATCH_INPUT, restoreTier: 'Standard', restoreOnly: true },
      },
      context,
    );
    expect(totals).toMatchObject({ objects: 1, bytes: archived.bytes.length, events: 0 });
    expect(archive.restores).toContainEqual([archived.key, 'Standard', handlerModule.RESTORE_DAYS]);
    expect(await countEvents('proj-restore-only')).toBe(0);
  });

  it.each([
    [{ action: 'objects', Items: [{ Key: 'k' }], BatchInput: BATCH_INPUT }, /Size/],
    [{ action: 'objects', Items: [], BatchInput: { from: RANGE.from } }, /to/],
    [
      { action: 'objects', Items: [], BatchInput: { ...BATCH_INPUT, restoreTier: 'Expedited' } },
      /restoreTier/,
    ],
  ])('rejects the batch %j with ReplayInputError', async (event, message) => {
    const failure = handler(event, context);
    await expect(failure).rejects.toMatchObject({ name: 'ReplayInputError' });
    await expect(failure).rejects.toThrow(message);
  });
});

describe('the replay function: sum', () => {
  it('adds up packed batch totals and hour totals alike', async () => {
    const hour = {
      objects: 1,
      bytes: 10,
      records: 2,
      events: 3,
      duplicateEvents: 4,
      deadLetters: 0,
      skippedRecords: 1,
    };
    const answer = await handler(
      { action: 'sum', results: [[2, 100, 20, 30, 0, 1, 0], hour, [0, 0, 0, 0, 0, 0, 0]] },
      context,
    );
    expect(answer).toEqual({
      objects: 3,
      bytes: 110,
      records: 22,
      events: 33,
      duplicateEvents: 4,
      deadLetters: 1,
      skippedRecords: 1,
    });
    expect(await handler({ action: 'sum', results: [] }, context)).toEqual({
      objects: 0,
      bytes: 0,
      records: 0,
      events: 0,
      duplicateEvents: 0,
      deadLetters: 0,
      skippedRecords: 0,
    });
  });

  it('rejects a packed total of the wrong length', async () => {
    await expect(handler({ action: 'sum', results: [[1, 2, 3]] }, context)).rejects.toMatchObject({
      name: 'ReplayInputError',
    });
  });
});

describe('the replay function: redrive', () => {
  it('sends a project’s dead letters back through the loader once', async () => {
    await insertDeadLetters(client, [
      {
        failed_at: '2026-11-30 09:00:00.000',
        project_id: 'proj-redrive',
        reason: 'ClickHouse refused the event: a column was missing',
        engine_code: 16,
        line: JSON.stringify(generator.next()),
      },
    ]);
    const summary = await handler({ action: 'redrive', project: 'proj-redrive' }, context);
    expect(summary).toMatchObject({ letters: 1, loaded: 1, events: 1, refusedAgain: 0 });
    expect(await countEvents('proj-redrive')).toBe(1);
    expect(await handler({ action: 'redrive', project: 'proj-redrive' }, context)).toMatchObject({
      letters: 0,
    });
  });
});

describe('what the cost model assumes of the function', () => {
  it('loads as many records at once, and keeps a restored copy as many days, as lib/pricing/replay-cost.ts prices', () => {
    expect(handlerModule.REPLAY_LOAD_RECORDS).toBe(REPLAY_COST_ASSUMPTIONS.recordsPerLoad);
    expect(handlerModule.RESTORE_DAYS).toBe(REPLAY_COST_ASSUMPTIONS.restoredCopyDays);
  });
});
