import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrate } from '../../../clickhouse/migrate.js';
import { encodeHeaderLine } from '../../../functions/shared/contract/stream-record.js';
import { eventGenerator } from '../../../lib/workloads/event-generator.js';
import { rows } from '../../helpers/clickhouse.js';

const context = { functionName: 'evalforge-loader', awsRequestId: 'req-1' } as unknown as Context;
let dir: string;
let client: ClickHouseClient;
let handler: (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;
let template: KinesisStreamRecord;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-loader-'));
  vi.stubEnv('CLICKHOUSE_EMBEDDED_PATH', join(dir, 'db'));
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation(() => undefined);
  }
  ({ handler } = await import('../../../functions/load/handler.js'));
  const { clickHouse } = await import('../../../functions/load/deps.js');
  client = await clickHouse();
  await migrate(client, { kind: 'single' });
  const fixture = JSON.parse(
    await readFile(new URL('../../fixtures/kinesis/stream-event.json', import.meta.url), 'utf8'),
  );
  template = fixture.Records[0];
});

afterAll(async () => {
  await client.close();
  await rm(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

const generator = eventGenerator({ seed: 3 });
let n = 0;
function kinesisRecord(data: Buffer, shard = 'shardId-000000000003'): KinesisStreamRecord {
  const sequenceNumber = `4959033827149025660855969253836157109592157598913658${String(++n).padStart(4, '0')}`;
  return {
    ...template,
    eventID: `${shard}:${sequenceNumber}`,
    kinesis: { ...template.kinesis, sequenceNumber, data: data.toString('base64') },
  };
}
function streamRecord(events: number): Buffer {
  const lines = Array.from({ length: events }, () => JSON.stringify(generator.next()));
  const header = {
    format: 'evalforge.batch/v1' as const,
    project_id: 'proj-h',
    key_id: '0123456789abcdef',
    received_at: new Date().toISOString(),
    request_id: `req-${n}`,
    request_key: (++n).toString(16).padStart(64, '0'),
    part: 0,
    events,
  };
  return gzipSync(encodeHeaderLine(header) + lines.join('\n'));
}
const count = async () =>
  (await rows<{ n: number }>(client, "SELECT count() AS n FROM events WHERE project_id = 'proj-h'"))[0]?.n;

describe('the loader handler on the embedded engine', () => {
  it('loads a Kinesis batch from two shards and reports no item failures', async () => {
    const event = {
      Records: [kinesisRecord(streamRecord(30)), kinesisRecord(streamRecord(20), 'shardId-000000000004')],
    };
    await expect(handler(event, context)).resolves.toEqual({ batchItemFailures: [] });
    expect(await count()).toBe(50);
  });

  it('acknowledges a poison record after putting it in the dead letters', async () => {
    const before = await count();
    const event = {
      Records: [kinesisRecord(Buffer.from('not a stream record')), kinesisRecord(streamRecord(5))],
    };
    await expect(handler(event, context)).resolves.toEqual({ batchItemFailures: [] });
    expect(await count()).toBe((before ?? 0) + 5);
    const [letter] = await rows<{ reason: string }>(client, 'SELECT reason FROM load_dead_letters');
    expect(letter?.reason).toMatch(/not gzip/);
  });

  it('counts a redelivered batch once', async () => {
    const before = (await count()) ?? 0;
    const event = { Records: [kinesisRecord(streamRecord(7))] };
    await handler(event, context);
    await handler(event, context);
    expect(await count()).toBe(before + 7);
  });
});
