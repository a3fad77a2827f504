import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { KEY_STORE_ENV, lambdaKeyStore } from '../../../../functions/shared/auth/lambda-key-store.js';

const KEY_ID = '0123456789abcdef';
const item = {
  key_id: { S: KEY_ID },
  project_id: { S: 'demo-project' },
  key_hash: { S: 'ab'.repeat(32) },
  created_at: { S: '2025-01-02T03:04:05.678Z' },
};

const ddb = mockClient(DynamoDBClient);
const Env = z.object(KEY_STORE_ENV);
const client = () => new DynamoDBClient({ region: 'eu-west-1' });

beforeEach(() => {
  ddb.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('KEY_STORE_ENV', () => {
  it('keeps a found key for 60 s unless KEY_CACHE_TTL_SECONDS says otherwise', () => {
    expect(Env.parse({ API_KEYS_TABLE_NAME: 'keys' })).toEqual({
      API_KEYS_TABLE_NAME: 'keys',
      KEY_CACHE_TTL_SECONDS: 60,
    });
    expect(Env.parse({ API_KEYS_TABLE_NAME: 'keys', KEY_CACHE_TTL_SECONDS: '0' }).KEY_CACHE_TTL_SECONDS).toBe(
      0,
    );
  });

  it.each([
    ['no table', {}, 'API_KEYS_TABLE_NAME'],
    [
      'a TTL over an hour',
      { API_KEYS_TABLE_NAME: 'keys', KEY_CACHE_TTL_SECONDS: '3601' },
      'KEY_CACHE_TTL_SECONDS',
    ],
    [
      'a fractional TTL',
      { API_KEYS_TABLE_NAME: 'keys', KEY_CACHE_TTL_SECONDS: '1.5' },
      'KEY_CACHE_TTL_SECONDS',
    ],
  ])('rejects %s', (_name, env, variable) => {
    const parsed = Env.safeParse(env);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path[0])).toEqual([variable]);
  });
});

describe('lambdaKeyStore', () => {
  it('reads a found key from the table again only once the TTL has passed', async () => {
    ddb.on(GetItemCommand).resolves({ Item: item });
    const keys = lambdaKeyStore({ API_KEYS_TABLE_NAME: 'keys', KEY_CACHE_TTL_SECONDS: 30 }, client());

    await keys.findByKeyId(KEY_ID);
    vi.setSystemTime(29_999);
    expect((await keys.findByKeyId(KEY_ID))?.projectId).toBe('demo-project');
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(1);
    expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input.TableName).toBe('keys');

    vi.setSystemTime(30_000);
    await keys.findByKeyId(KEY_ID);
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(2);
  });

  it('remembers an unknown key id for 5 s', async () => {
    ddb.on(GetItemCommand).resolves({});
    const keys = lambdaKeyStore({ API_KEYS_TABLE_NAME: 'keys', KEY_CACHE_TTL_SECONDS: 60 }, client());

    expect(await keys.findByKeyId(KEY_ID)).toBeUndefined();
    vi.setSystemTime(4_999);
    await keys.findByKeyId(KEY_ID);
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(1);

    vi.setSystemTime(5_000);
    await keys.findByKeyId(KEY_ID);
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(2);
  });
});
