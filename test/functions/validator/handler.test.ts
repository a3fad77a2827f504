import { gunzipSync } from 'node:zlib';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  InternalFailureException,
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandInput,
} from '@aws-sdk/client-kinesis';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { newApiKey } from '../../../functions/shared/auth/api-keys.js';
import { KEY_TABLE_ATTRIBUTES as A } from '../../../functions/shared/auth/key-store-dynamodb.js';
import { canonicalLine, checkEvent } from '../../../functions/shared/contract/event.js';
import type { IngestResult } from '../../../functions/shared/contract/ingest-api.js';
import { decodeStreamRecord } from '../../../functions/shared/contract/stream-record.js';
import { albFixture, keyTableItem, withKey } from '../../fixtures/alb-events.js';
import { capturePowertoolsConsole, type PowertoolsConsole } from '../../helpers/powertools-console.js';

const STREAM = 'evalforge-events-test';
const TABLE = 'evalforge-api-keys-test';
const PROJECT = 'demo-project';
/** The fixtures' events were sent a few minutes before this; the clock is held here. */
const FIXTURE_NOW = new Date('2026-11-26T09:20:00.000Z');

const kinesisMock = mockClient(KinesisClient);
const dynamoMock = mockClient(DynamoDBClient);

function normalised(line: string | undefined): string {
  const check = checkEvent(JSON.parse(line ?? ''), PROJECT);
  if (!check.ok) throw new Error(check.reason);
  return canonicalLine(check.event);
}

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'evalforge-ingest-validator',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:evalforge-ingest-validator',
  memoryLimitInMB: '1024',
  awsRequestId: '5b6e1f0c-2a9e-4c11-8f3d-7b3d4c115f0c',
  logGroupName: '/aws/lambda/evalforge-ingest-validator',
  logStreamName: '2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

function acceptAll(input: PutRecordsCommandInput) {
  return {
    FailedRecordCount: 0,
    Records: (input.Records ?? []).map((_, i) => ({
      SequenceNumber: `4959${i}`,
      ShardId: 'shardId-000000000000',
    })),
  };
}

const written = () =>
  kinesisMock
    .commandCalls(PutRecordsCommand)
    .flatMap((call) => call.args[0].input.Records ?? [])
    .map((r) => decodeStreamRecord(r.Data ?? new Uint8Array()));

const known = newApiKey(PROJECT, new Date('2026-11-01T00:00:00.000Z'));

let handler: (event: ALBEvent, context: Context) => Promise<ALBResult>;
let log: MockInstance<typeof console.log>;
let powertools: PowertoolsConsole;

const emfBlobs = () => powertools.emfBlobs();

beforeAll(async () => {
  // Only Date is faked: deps.ts reads the clock through Date.now, and real timers keep the retry sleeps.
  vi.useFakeTimers({ toFake: ['Date'], now: FIXTURE_NOW });
  vi.stubEnv('EVENT_STREAM_NAME', STREAM);
  vi.stubEnv('API_KEYS_TABLE_NAME', TABLE);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  powertools = capturePowertoolsConsole({ logLevel: 'INFO' });
  log = powertools.log;
  ({ handler } = await import('../../../functions/validator/handler.js'));
});

beforeEach(() => {
  log.mockClear();
  kinesisMock.reset();
  kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
  dynamoMock.reset();
  dynamoMock
    .on(GetItemCommand)
    .resolves({})
    .on(GetItemCommand, { TableName: TABLE, Key: { [A.keyId]: { S: known.record.keyId } } })
    .resolves({ Item: keyTableItem(known.record) });
});

afterAll(() => {
  kinesisMock.restore();
  dynamoMock.restore();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('handler', () => {
  it('accepts a gzip NDJSON request and forwards its events to the stream', async () => {
    const event = withKey(albFixture('post-events-ndjson-gzip'), known.key);

    const result = await handler(event, context);

    expect(result).toMatchObject({ statusCode: 200, statusDescription: '200 OK', isBase64Encoded: false });
    expect(JSON.parse(result.body ?? '')).toEqual({ accepted: 3, rejected: 0, errors: [] });
    const requestId = result.headers?.['x-evalforge-request-id'];
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);

    const records = written();
    expect(records).toHaveLength(1);
    expect(records[0]?.header).toEqual({
      format: 'evalforge.batch/v1',
      project_id: PROJECT,
      key_id: known.record.keyId,
      received_at: FIXTURE_NOW.toISOString(),
      request_id: requestId,
      request_key: expect.stringMatching(/^[0-9a-f]{64}$/),
      part: 0,
      events: 3,
    });
    const sent = gunzipSync(Buffer.from(event.body ?? '', 'base64'))
      .toString('utf8')
      .trim()
      .split('\n');
    // Lines the store reads as sent go on as sent; the second event's prompt is chat messages (not
    // text), so its normalised form goes instead, and the record is compressed again.
    expect(records[0]?.lines).toEqual([sent[0], normalised(sent[1]), sent[2]]);
    const [put] = kinesisMock.commandCalls(PutRecordsCommand);
    expect(put?.args[0].input.StreamName).toBe(STREAM);
  });

  it('accepts a JSON request and answers in the multi-value shape it came in', async () => {
    const event = withKey(albFixture('post-events-json-multi-value-headers'), known.key);
    const { events } = JSON.parse(event.body ?? '') as { events: unknown[] };

    const result = await handler(event, context);

    expect(result.statusCode).toBe(200);
    expect(result.headers).toBeUndefined();
    expect(result.multiValueHeaders?.['content-type']).toEqual(['application/json']);
    expect(JSON.parse(result.body ?? '')).toEqual({ accepted: 2, rejected: 0, errors: [] });
    const records = written();
    // A JSON body has no lines of its own: each event goes on in its normalised form.
    expect(records.flatMap((r) => r.lines)).toEqual(events.map((e) => normalised(JSON.stringify(e))));
    expect(records[0]?.header.project_id).toBe(PROJECT);
  });

  it('answers the health check without touching the key table or the stream', async () => {
    const result = await handler(albFixture('get-health'), context);

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toEqual({ status: 'ok' });
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
    expect(dynamoMock.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('rejects an unknown key with 401 and writes nothing', async () => {
    const stranger = newApiKey(PROJECT, FIXTURE_NOW);

    const result = await handler(withKey(albFixture('post-events-json'), stranger.key), context);

    expect(result.statusCode).toBe(401);
    expect(result.headers?.['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(result.body ?? '')).toEqual({
      error: { code: 'unauthorized', message: 'API key is not known' },
    });
    expect(
      dynamoMock.commandCalls(GetItemCommand, { Key: { [A.keyId]: { S: stranger.record.keyId } } }),
    ).toHaveLength(1);
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('fails with 503 and Retry-After when the key table cannot be read, its error in the log only', async () => {
    const other = newApiKey(PROJECT, FIXTURE_NOW);
    const denied = `User: arn:aws:sts::123456789012:assumed-role/evalforge-ingest-role/fn is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/${TABLE}`;
    dynamoMock
      .on(GetItemCommand)
      .rejects(Object.assign(new Error(denied), { name: 'AccessDeniedException' }));

    const result = await handler(withKey(albFixture('post-events-json'), other.key), context);

    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('5');
    expect(JSON.parse(result.body ?? '')).toMatchObject({ error: { code: 'key_store_unavailable' } });
    for (const secret of ['AccessDenied', '123456789012', 'role/', TABLE]) {
      expect(JSON.stringify(result)).not.toContain(secret);
    }
    const warnings = vi.mocked(console.warn).mock.calls.map(([line]) => String(line));
    expect(warnings.some((line) => line.includes(`AccessDeniedException: ${denied}`))).toBe(true);
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('fails with 429 and Retry-After when the stream throttles every attempt', async () => {
    kinesisMock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      FailedRecordCount: input.Records?.length ?? 0,
      Records: (input.Records ?? []).map(() => ({
        ErrorCode: 'ProvisionedThroughputExceededException',
        ErrorMessage: 'Rate exceeded for shard shardId-000000000000',
      })),
    }));

    const result = await handler(withKey(albFixture('post-events-ndjson-gzip'), known.key), context);

    expect(result.statusCode).toBe(429);
    expect(result.statusDescription).toBe('429 Too Many Requests');
    expect(result.headers?.['retry-after']).toBe('1');
    const body = JSON.parse(result.body ?? '') as IngestResult;
    expect(body).toMatchObject({ accepted: 0, rejected: 3 });
    expect(body.errors.map((e) => [e.index, e.code, e.retryable])).toEqual([
      [0, 'throttled', true],
      [1, 'throttled', true],
      [2, 'throttled', true],
    ]);
    // The default policy: four attempts in all.
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(4);
    const [blob] = emfBlobs();
    expect(blob).toMatchObject({ Requests: 1, EventsAccepted: 0, EventsRetryable: 3, Status429: 1 });
  });

  it('fails with 503 and a longer Retry-After when the stream is unavailable', async () => {
    kinesisMock
      .on(PutRecordsCommand)
      .rejects(new InternalFailureException({ message: 'Internal service failure.', $metadata: {} }));

    const result = await handler(withKey(albFixture('post-events-json'), known.key), context);

    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('5');
    const body = JSON.parse(result.body ?? '') as IngestResult;
    expect(body.errors.map((e) => e.code)).toEqual(['unavailable', 'unavailable']);
    // The stream's own error goes to the operators' log, not to the client: it can name the account.
    expect(body.errors[0]?.message).not.toContain('Internal service failure.');
    const warnings = vi.mocked(console.warn).mock.calls.map(([line]) => String(line));
    expect(
      warnings.some((line) => line.includes('InternalFailureException: Internal service failure.')),
    ).toBe(true);
  });

  it('counts a health check in its own metric, so no invocation flushes an empty set (a warning line each)', async () => {
    vi.mocked(console.warn).mockClear();
    await handler(albFixture('get-health'), context);
    expect(emfBlobs()).toEqual([expect.objectContaining({ service: 'ingest-validator', HealthChecks: 1 })]);
    const warnings = vi.mocked(console.warn).mock.calls.map(([line]) => String(line));
    expect(warnings.filter((line) => line.includes('No application metrics to publish'))).toEqual([]);
  });

  it('prints one EMF blob per request, with the request summary', async () => {
    const event = withKey(albFixture('post-events-ndjson-gzip'), known.key);

    await handler(event, context);
    expect(emfBlobs()).toHaveLength(1);
    await handler(event, context);

    const blobs = emfBlobs();
    expect(blobs).toHaveLength(2);
    expect(blobs[1]).toMatchObject({
      service: 'ingest-validator',
      Requests: 1,
      EventsAccepted: 3,
      EventsRejected: 0,
      EventsRetryable: 0,
      StreamRecords: 1,
      RequestBytes: Buffer.from(event.body ?? '', 'base64').length,
      _aws: { CloudWatchMetrics: [{ Namespace: 'EvalForge' }] },
    });
  });
});
