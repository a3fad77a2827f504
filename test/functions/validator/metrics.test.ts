import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type PutRecordsCommandInput,
} from '@aws-sdk/client-kinesis';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { newApiKey } from '../../../functions/shared/auth/api-keys.js';
import { KEY_TABLE_ATTRIBUTES as A } from '../../../functions/shared/auth/key-store-dynamodb.js';
import type { IngestResult } from '../../../functions/shared/contract/ingest-api.js';
import { countByCode } from '../../../functions/validator/answer.js';
import { albFixture, keyTableItem, withKey } from '../../fixtures/alb-events.js';
import { capturePowertoolsConsole, type PowertoolsConsole } from '../../helpers/powertools-console.js';

/**
 * The validator's CloudWatch metrics (EMF lines on stdout): one set per request whatever its
 * number of events, plus one line per distinct rejection reason.
 */
const TABLE = 'evalforge-api-keys-test';
const PROJECT = 'demo-project';
const FIXTURE_NOW = new Date('2026-11-26T09:20:00.000Z');
const context = {
  functionName: 'evalforge-ingest-validator',
  awsRequestId: 'req-metrics',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const kinesisMock = mockClient(KinesisClient);
const dynamoMock = mockClient(DynamoDBClient);
const known = newApiKey(PROJECT, new Date('2026-11-01T00:00:00.000Z'));

let handler: (event: ALBEvent, context: Context) => Promise<ALBResult>;
let log: MockInstance<typeof console.log>;
let powertools: PowertoolsConsole;

const emfBlobs = () => powertools.emfBlobs();
/** The request's own set: printed last, when the middleware flushes. */
const requestSet = () => emfBlobs().find((blob) => blob.Requests !== undefined);
/** The lines printed per rejection reason. */
const reasonSets = () => emfBlobs().filter((blob) => blob.EventsRejectedByReason !== undefined);
const byReason = () =>
  Object.fromEntries(reasonSets().map((blob) => [blob.reason, blob.EventsRejectedByReason]));

const template = (
  JSON.parse(albFixture('post-events-json').body ?? '') as { events: Record<string, unknown>[] }
).events[0] as Record<string, unknown>;
const valid = (i: number) => ({ ...template, span_id: i.toString(16).padStart(16, '0') });
const kinds = {
  valid,
  invalid: () => ({}),
  mismatch: (i: number) => ({ ...valid(i), project_id: 'someone-else' }),
  future: (i: number) => ({ ...valid(i), timestamp: '2027-11-26T09:15:02.118Z' }),
} as const;

/** A JSON request of `count` events of each kind, interleaved. */
function request(counts: Partial<Record<keyof typeof kinds, number>>): ALBEvent {
  const events: unknown[] = [];
  let i = 0;
  for (const [kind, count] of Object.entries(counts)) {
    for (let n = 0; n < count; n++) events.push(kinds[kind as keyof typeof kinds](++i));
  }
  const fixture = albFixture('post-events-json');
  return withKey({ ...fixture, body: JSON.stringify({ events }) }, known.key);
}

function acceptAll(input: PutRecordsCommandInput) {
  return {
    FailedRecordCount: 0,
    Records: (input.Records ?? []).map((_, i) => ({
      SequenceNumber: `4959${i}`,
      ShardId: 'shardId-000000000000',
    })),
  };
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: FIXTURE_NOW });
  vi.stubEnv('EVENT_STREAM_NAME', 'evalforge-events-test');
  vi.stubEnv('API_KEYS_TABLE_NAME', TABLE);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  powertools = capturePowertoolsConsole();
  log = powertools.log;
  ({ handler } = await import('../../../functions/validator/handler.js'));
});

beforeEach(() => {
  log.mockClear();
  kinesisMock.reset();
  kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
  dynamoMock.reset();
  dynamoMock
    .on(GetItemCommand, { TableName: TABLE, Key: { [A.keyId]: { S: known.record.keyId } } })
    .resolves({ Item: keyTableItem(known.record) });
});

afterAll(() => {
  kinesisMock.restore();
  dynamoMock.restore();
  vi.useRealTimers();
});

describe('validator metrics', () => {
  it.each([1, 500])('prints one set for a request of %i valid events, counting them all', async (n) => {
    const result = await handler(request({ valid: n }), context);
    expect(result.statusCode).toBe(200);
    const blobs = emfBlobs();
    expect(blobs).toHaveLength(1);
    expect(blobs[0]).toMatchObject({
      service: 'ingest-validator',
      Requests: 1,
      EventsAccepted: n,
      EventsRejected: 0,
      EventsRetryable: 0,
      _aws: { CloudWatchMetrics: [{ Namespace: 'EvalForge', Dimensions: [['service']] }] },
    });
    // One value per metric: nothing is added per event.
    for (const metric of blobs[0]?._aws.CloudWatchMetrics[0]?.Metrics ?? []) {
      expect(typeof blobs[0]?.[metric.Name]).toBe('number');
    }
  });

  it('prints one line per distinct reason, as many for 1 as for 100 events of each kind', async () => {
    const lines: number[] = [];
    for (const n of [1, 100]) {
      log.mockClear();
      const result = await handler(request({ valid: n, invalid: n, mismatch: n, future: n }), context);
      expect(result.statusCode).toBe(207);
      lines.push(emfBlobs().length);
      expect(requestSet()).toMatchObject({ EventsAccepted: n, EventsRejected: 3 * n });
      expect(byReason()).toEqual({ invalid_event: n, project_mismatch: n, timestamp_out_of_range: n });
      for (const blob of reasonSets()) {
        expect(blob).toMatchObject({
          service: 'ingest-validator',
          _aws: {
            CloudWatchMetrics: [
              {
                Namespace: 'EvalForge',
                Dimensions: [['service', 'reason']],
                Metrics: [{ Name: 'EventsRejectedByReason', Unit: 'Count' }],
              },
            ],
          },
        });
      }
    }
    expect(lines).toEqual([4, 4]);
  });

  it('counts every rejection by reason when the answer lists only the first ones', async () => {
    const result = await handler(request({ invalid: 1_500, mismatch: 300 }), context);
    const body = JSON.parse(result.body ?? '') as IngestResult;
    expect(body.errors_omitted).toBeGreaterThan(0);
    expect(emfBlobs()).toHaveLength(3);
    expect(byReason()).toEqual({ invalid_event: 1_500, project_mismatch: 300 });
  });

  it('counts retryable events by their reason too', async () => {
    kinesisMock
      .on(PutRecordsCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));
    const result = await handler(request({ valid: 7, invalid: 2 }), context);
    expect(result.statusCode).toBe(429);
    expect(requestSet()).toMatchObject({ EventsRejected: 2, EventsRetryable: 7, Status429: 1 });
    expect(byReason()).toEqual({ throttled: 7, invalid_event: 2 });
  });

  it('prints no reason for a request rejected whole', async () => {
    const event = request({ valid: 3 });
    const result = await handler(
      { ...event, headers: { ...event.headers, authorization: 'Bearer nope' } },
      context,
    );
    expect(result.statusCode).toBe(401);
    expect(emfBlobs()).toEqual([expect.objectContaining({ Requests: 1, EventsRejected: 0, Status401: 1 })]);
  });
});

describe('countByCode', () => {
  it.each([
    ['no errors', [], {}],
    [
      'every error',
      [
        { index: 0, code: 'invalid_event' },
        { index: 1, code: 'duplicate_event' },
        { index: 2, code: 'invalid_event' },
      ],
      { invalid_event: 2, duplicate_event: 1 },
    ],
    [
      'errors of one code',
      Array.from({ length: 10 }, (_, index) => ({ index, code: 'invalid_event' as const })),
      { invalid_event: 10 },
    ],
  ] as const)('counts %s', (_, errors, expected) => {
    expect(countByCode(errors)).toEqual(expected);
  });
});
