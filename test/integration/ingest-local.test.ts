import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey } from '../../functions/shared/auth/api-keys.js';
import { FileKeyStore } from '../../functions/shared/auth/key-store-file.js';
import { canonicalLine, checkEvent } from '../../functions/shared/contract/event.js';
import type { IngestResult, RequestErrorBody } from '../../functions/shared/contract/ingest-api.js';
import {
  type AnyStreamRecordHeader,
  decodeStreamRecord,
} from '../../functions/shared/contract/stream-record.js';
import { DEFAULT_VALIDATOR_LIMITS, type RequestSummary } from '../../functions/validator/core.js';
import { createValidatorHandler } from '../../functions/validator/handler.js';
import { kinesisPutRecords } from '../../functions/validator/kinesis-put.js';
import { SYSTEM_RUNTIME } from '../../functions/validator/runtime.js';
import { type AlbServer, startAlbServer } from '../../local/alb-server.js';
import { ensureStream, type LocalKinesis, startLocalKinesis } from '../../local/kinesis.js';

const STREAM = 'evalforge-events';
const PROJECT = 'acme-support';

const WORDS = (
  'the customer asked about billing refunds shipping delays account access password reset ' +
  'invoice totals subscription tiers latency errors dashboard export webhook retries rate limits ' +
  'please summarise explain compare translate the following ticket message conversation policy'
).split(' ');

/** Text that reads like prose and compresses like it: words drawn at random. */
function prose(chars: number): string {
  const words: string[] = [];
  let length = 0;
  while (length < chars) {
    const word = WORDS[Math.floor(Math.random() * WORDS.length)] ?? 'text';
    words.push(word);
    length += word.length + 1;
  }
  return words.join(' ').slice(0, chars);
}

function realisticEvent(i: number): Record<string, unknown> {
  return {
    trace_id: randomBytes(16).toString('hex'),
    span_id: randomBytes(8).toString('hex'),
    timestamp: new Date(Date.now() - 1_000 * (50 - i)).toISOString(),
    name: 'support-answer',
    model: i % 2 === 0 ? 'gpt-4o-mini' : 'claude-3-5-haiku',
    input_tokens: 480 + i,
    output_tokens: 720 + i,
    latency_ms: 900 + 13 * i,
    cost_cents: 0.12,
    user_id: `user-${1000 + i}`,
    session_id: `sess-${i % 7}`,
    tags: ['support', 'eval'],
    metadata: { region: 'eu-west-1', attempt: 1 },
    prompt: prose(2_048),
    response: prose(3_072),
  };
}

const ndjsonGzip = (events: readonly Record<string, unknown>[]) =>
  gzipSync(`${events.map((e) => JSON.stringify(e)).join('\n')}\n`);

/** Every record on the stream, decoded, from the start of every shard. */
async function readStream(kinesis: LocalKinesis) {
  const { Shards = [] } = await kinesis.client.send(new ListShardsCommand({ StreamName: STREAM }));
  const records: { data: Uint8Array; header: AnyStreamRecordHeader; lines: string[] }[] = [];
  for (const shard of Shards) {
    const { ShardIterator } = await kinesis.client.send(
      new GetShardIteratorCommand({
        StreamName: STREAM,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = ShardIterator;
    while (iterator) {
      const page = await kinesis.client.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const { Data = new Uint8Array() } of page.Records ?? []) {
        records.push({ data: Data, ...decodeStreamRecord(Data) });
      }
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

/** The records one request wrote, found by the request id the server answered with. */
async function recordsOf(response: Response) {
  const requestId = response.headers.get('x-evalforge-request-id');
  expect(requestId).toMatch(/^[0-9a-f]{32}$/);
  return (await readStream(kinesis)).filter((r) => r.header.request_id === requestId);
}

let dir: string;
let kinesis: LocalKinesis;
let server: AlbServer;
const summaries: RequestSummary[] = [];
const { key, record } = newApiKey(PROJECT, new Date());

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-ingest-local-'));
  kinesis = await startLocalKinesis();
  await ensureStream(kinesis.client, STREAM, 2);
  const keys = new FileKeyStore(join(dir, 'keys.json'));
  await keys.put(record);
  const deps = {
    keys,
    putRecords: kinesisPutRecords(kinesis.client, STREAM),
    ...SYSTEM_RUNTIME,
    limits: DEFAULT_VALIDATOR_LIMITS,
  };
  // The validator handler behind the local load balancer, as `npm start` runs it.
  server = await startAlbServer({
    routes: [],
    defaultRoute: {
      functionName: 'ingest-validator',
      handler: createValidatorHandler(() => deps, { onSummary: (summary) => summaries.push(summary) }),
    },
    maxBodyBytes: DEFAULT_VALIDATOR_LIMITS.maxBodyBytes,
  });
});

afterAll(async () => {
  await server?.close();
  await kinesis?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const post = (body: NonNullable<Parameters<typeof fetch>[1]>['body'], headers: Record<string, string>) =>
  fetch(`${server.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, ...headers },
    body,
  });

describe('the local ingest stack', () => {
  it('accepts 50 gzip NDJSON events and puts exactly those on the stream, under the key’s project', async () => {
    const events = Array.from({ length: 50 }, (_, i) => realisticEvent(i));

    const response = await post(ndjsonGzip(events), {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
    });

    expect(response.status).toBe(200);
    expect((await response.json()) as IngestResult).toEqual({ accepted: 50, rejected: 0, errors: [] });
    const records = await recordsOf(response);
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) {
      expect(r.header).toMatchObject({ project_id: PROJECT, key_id: record.keyId, events: r.lines.length });
    }
    expect(records.flatMap((r) => r.lines).map((line) => JSON.parse(line))).toEqual(events);
    expect(summaries.at(-1)).toMatchObject({ statusCode: 200, eventsAccepted: 50, passThrough: true });
  });

  it('answers 207 to a JSON body with one invalid event, and streams only the valid two', async () => {
    const good = [realisticEvent(0), realisticEvent(1)];
    const bad = { ...realisticEvent(2), latency_ms: -5 };

    const response = await post(JSON.stringify({ events: [good[0], bad, good[1]] }), {
      'content-type': 'application/json',
    });

    expect(response.status).toBe(207);
    const body = (await response.json()) as IngestResult;
    expect(body).toMatchObject({ accepted: 2, rejected: 1 });
    expect(body.errors).toEqual([
      { index: 1, code: 'invalid_event', message: expect.stringContaining('latency_ms'), retryable: false },
    ]);
    const records = await recordsOf(response);
    // A JSON body has no lines of its own: each accepted event goes on in its normalised form.
    const normalised = good.map((e) => {
      const check = checkEvent(e, PROJECT);
      if (!check.ok) throw new Error(check.reason);
      return canonicalLine(check.event);
    });
    expect(records.flatMap((r) => r.lines)).toEqual(normalised);
    expect(records.every((r) => r.header.project_id === PROJECT)).toBe(true);
  });

  it('rejects a body over 1,000,000 bytes with 413, naming the load balancer’s 1 MB limit', async () => {
    const response = await post(Buffer.alloc(1_000_001, 0x20), { 'content-type': 'application/json' });

    expect(response.status).toBe(413);
    const body = (await response.json()) as RequestErrorBody;
    expect(body.error.code).toBe('body_too_large');
    expect(body.error.message).toMatch(/1 MB, the load balancer's limit/);
  });

  it('rejects an over-long body with 413 without misstating its size', async () => {
    const response = await post(Buffer.alloc(2_000_000, 0x20), { 'content-type': 'application/json' });

    expect(response.status).toBe(413);
    const { error } = (await response.json()) as RequestErrorBody;
    // The server stops reading at the limit; whatever size the answer states must be the real one.
    const stated = /body is (\d+) bytes/.exec(error.message)?.[1];
    if (stated !== undefined) expect(Number(stated)).toBe(2_000_000);
  });

  it.each([
    ['zero padding', () => Buffer.alloc(8)],
    // Node's gunzip stops at the zeros; Python's gzip skips them and reads the member after.
    [
      'zero padding and a member from another project',
      () =>
        Buffer.concat([Buffer.alloc(8), ndjsonGzip([{ ...realisticEvent(9), project_id: 'other-project' }])]),
    ],
  ])('fails safe on a gzip body with %s after it: nothing unread reaches the stream', async (_name, tail) => {
    const body = Buffer.concat([ndjsonGzip([realisticEvent(0), realisticEvent(1)]), tail()]);

    const response = await post(body, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });

    // Rejecting the body (400) or streaming only what was read (200) are both safe answers.
    expect([200, 400]).toContain(response.status);
    const records = response.status === 200 ? await recordsOf(response) : [];
    for (const { data } of records) {
      // gunzip reads a record to its last byte: nothing in it escaped validation, and records
      // archived back to back still read as one gzip stream.
      const { engine } = gunzipSync(data, { info: true }) as unknown as { engine: { bytesWritten: number } };
      expect(engine.bytesWritten).toBe(data.length);
    }
  });

  it('rejects an unknown key with 401 and streams nothing for it', async () => {
    const stranger = newApiKey(PROJECT, new Date());
    const before = (await readStream(kinesis)).length;

    const response = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stranger.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [realisticEvent(0)] }),
    });

    expect(response.status).toBe(401);
    expect(((await response.json()) as RequestErrorBody).error.code).toBe('unauthorized');
    expect(await readStream(kinesis)).toHaveLength(before);
  });

  it('answers GET /v1/health with 200', async () => {
    const response = await fetch(`${server.url}/v1/health`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});
