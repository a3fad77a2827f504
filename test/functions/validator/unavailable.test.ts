import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KeyStore } from '../../../functions/shared/auth/api-keys.js';
import { classifyPutError, type PutRecords } from '../../../functions/validator/stream-writer.js';
import { harness, jsonBody, NOW } from '../../helpers/validator-harness.js';

/**
 * Answers of unavailability (503, 429) tell the client what to do and nothing of the deployment:
 * AWS error text can name the account, role, stream and table, and goes to the logs only.
 */

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/evalforge-events';
const ROLE_ARN = 'arn:aws:sts::123456789012:assumed-role/evalforge-ingest-validator-role/session';
const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/evalforge-api-keys';
const SECRETS = [
  'arn:aws',
  '123456789012',
  'role/',
  'evalforge-events',
  'evalforge-api-keys',
  'AccessDenied',
];

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });
const ACCESS_DENIED = awsError(
  'AccessDeniedException',
  `User: ${ROLE_ARN} is not authorized to perform: kinesis:PutRecords on resource: ${STREAM_ARN} because no identity-based policy allows the kinesis:PutRecords action`,
);

const event = () => ({
  trace_id: randomBytes(16).toString('hex'),
  span_id: randomBytes(8).toString('hex'),
  timestamp: new Date(NOW - 1_000).toISOString(),
  model: 'gpt-4o-mini',
  latency_ms: 100,
});

const failingPut =
  (error: Error): PutRecords =>
  async (records) =>
    records.map(() => ({ ok: false, ...classifyPutError(error) }));

describe('an unavailable dependency', () => {
  it.each([
    {
      name: 'the key store denies access',
      error: awsError(
        'AccessDeniedException',
        `User: ${ROLE_ARN} is not authorized to perform: dynamodb:GetItem on resource: ${TABLE_ARN}`,
      ),
    },
    {
      name: 'the key store cannot be reached',
      error: awsError('TimeoutError', `connect ETIMEDOUT ${TABLE_ARN}`),
    },
  ])('fails with a fixed 503 when $name, the error in the summary only', async ({ error }) => {
    const keys: KeyStore = {
      findByKeyId: async () => {
        throw error;
      },
    };
    const h = harness({ deps: { keys } });

    const { response, summary } = await h.post(jsonBody([event()]));

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(JSON.parse(response.body)).toEqual({
      error: {
        code: 'key_store_unavailable',
        message:
          'the API key could not be checked; nothing was accepted, send the request again after Retry-After seconds',
      },
    });
    for (const secret of SECRETS.filter((s) => error.message.includes(s))) {
      expect(JSON.stringify(response)).not.toContain(secret);
    }
    expect(summary.keyStoreError).toBe(String(error));
  });

  it.each([
    { name: 'the put call is denied', put: failingPut(ACCESS_DENIED), status: 503 },
    {
      name: 'the put call is throttled',
      put: failingPut(awsError('ProvisionedThroughputExceededException', `Rate exceeded for ${STREAM_ARN}`)),
      status: 429,
    },
    {
      name: 'each record fails with a message naming the stream',
      put: (async (records) =>
        records.map(() => ({
          ok: false,
          code: 'unavailable',
          message: `InternalFailure: ${STREAM_ARN} could not be written by ${ROLE_ARN}`,
        }))) as PutRecords,
      status: 503,
    },
  ])('answers $status without the stream error when $name', async ({ put, status }) => {
    const h = harness({ put });

    const { response, summary } = await h.post(jsonBody([event(), event()]));

    expect(response.statusCode).toBe(status);
    const answer = JSON.stringify(response);
    for (const secret of SECRETS) expect(answer).not.toContain(secret);
    expect(summary.streamError).toContain(STREAM_ARN);
  });
});
