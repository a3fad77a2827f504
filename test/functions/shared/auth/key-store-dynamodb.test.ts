import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../../../functions/shared/auth/api-keys.js';
import {
  DynamoDbKeyStore,
  KEY_TABLE_ATTRIBUTES,
  KEY_TABLE_PARTITION_KEY,
} from '../../../../functions/shared/auth/key-store-dynamodb.js';

const TABLE = 'evalforge-api-keys';
const KEY_ID = '0123456789abcdef';
const HASH = 'ab'.repeat(32);

const record: ApiKeyRecord = {
  keyId: KEY_ID,
  projectId: 'demo-project',
  keyHash: HASH,
  createdAt: '2025-01-02T03:04:05.678Z',
};

const item: Record<string, AttributeValue> = {
  key_id: { S: KEY_ID },
  project_id: { S: 'demo-project' },
  key_hash: { S: HASH },
  created_at: { S: '2025-01-02T03:04:05.678Z' },
};

const ddb = mockClient(DynamoDBClient);
const store = () => new DynamoDbKeyStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  ddb.reset();
});

describe('key table schema', () => {
  it('names the partition key key_id, a string', () => {
    expect(KEY_TABLE_PARTITION_KEY).toEqual({ name: 'key_id', type: 'S' });
    expect(KEY_TABLE_ATTRIBUTES.keyId).toBe(KEY_TABLE_PARTITION_KEY.name);
  });
});

describe('DynamoDbKeyStore.findByKeyId', () => {
  it('reads the item by key_id, eventually consistent, and maps it to a record', async () => {
    ddb.on(GetItemCommand).resolves({ Item: item });

    expect(await store().findByKeyId(KEY_ID)).toEqual(record);
    expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: { key_id: { S: KEY_ID } }, ConsistentRead: false },
    ]);
  });

  it('maps revoked_at to revokedAt', async () => {
    const revokedAt = '2025-03-04T05:06:07.890Z';
    ddb.on(GetItemCommand).resolves({ Item: { ...item, revoked_at: { S: revokedAt } } });

    expect(await store().findByKeyId(KEY_ID)).toEqual({ ...record, revokedAt });
  });

  it('answers undefined when there is no item', async () => {
    ddb.on(GetItemCommand).resolves({});

    expect(await store().findByKeyId(KEY_ID)).toBeUndefined();
  });

  it.each([
    ['key_hash is missing', { key_hash: undefined }, /key_hash/],
    ['key_hash is a number', { key_hash: { N: '12' } }, /key_hash/],
    ['key_hash is not a SHA-256', { key_hash: { S: 'abc' } }, /key_hash: must be a lowercase hex SHA-256/],
    [
      'project_id is not a project id',
      { project_id: { S: 'has space' } },
      /project_id: is not a valid project id/,
    ],
    ['created_at is not a timestamp', { created_at: { S: 'yesterday' } }, /created_at/],
    ['revoked_at is empty', { revoked_at: { S: '' } }, /revoked_at/],
  ])('fails with the key id named when %s', async (_name, change, problem) => {
    const malformed = Object.fromEntries(
      Object.entries({ ...item, ...change }).filter(([, value]) => value !== undefined),
    ) as Record<string, AttributeValue>;
    ddb.on(GetItemCommand).resolves({ Item: malformed });

    const lookup = store().findByKeyId(KEY_ID);

    await expect(lookup).rejects.toThrow(`DynamoDB table ${TABLE}: item of API key ${KEY_ID} is malformed`);
    await expect(lookup).rejects.toThrow(problem);
  });

  it('fails on a revoked_at that is not a string attribute, rather than take the key as not revoked', async () => {
    ddb.on(GetItemCommand).resolves({ Item: { ...item, revoked_at: { N: '1700000000' } } });

    await expect(store().findByKeyId(KEY_ID)).rejects.toThrow(
      `item of API key ${KEY_ID} is malformed: revoked_at: must be a string attribute`,
    );
  });

  it('fails when the table answers with another key', async () => {
    ddb.on(GetItemCommand).resolves({ Item: { ...item, key_id: { S: 'fedcba9876543210' } } });

    await expect(store().findByKeyId(KEY_ID)).rejects.toThrow(/returned the item of key fedcba9876543210/);
  });

  it('fails naming the table when it does not exist', async () => {
    ddb
      .on(GetItemCommand)
      .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));

    await expect(store().findByKeyId(KEY_ID)).rejects.toThrow(`DynamoDB table ${TABLE} does not exist`);
  });
});

describe('DynamoDbKeyStore.put', () => {
  it('writes the item only if the key id is new', async () => {
    ddb.on(PutItemCommand).resolves({});

    await store().put(record);

    expect(ddb.commandCalls(PutItemCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#keyId)',
        ExpressionAttributeNames: { '#keyId': 'key_id' },
      },
    ]);
  });

  it('writes revoked_at when the record has one', async () => {
    ddb.on(PutItemCommand).resolves({});
    const revokedAt = '2025-03-04T05:06:07.890Z';

    await store().put({ ...record, revokedAt });

    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item).toEqual({
      ...item,
      revoked_at: { S: revokedAt },
    });
  });

  it('rejects a key id that already exists', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed());

    await expect(store().put(record)).rejects.toThrow(
      `API key ${KEY_ID} already exists in DynamoDB table ${TABLE}`,
    );
  });

  it('fails with the SDK error on other failures', async () => {
    ddb.on(PutItemCommand).rejects(new Error('throttled'));

    await expect(store().put(record)).rejects.toThrow('throttled');
  });
});

describe('DynamoDbKeyStore.revoke', () => {
  const revokedAt = '2025-03-04T05:06:07.890Z';

  it('sets revoked_at unless already set, only on an existing item, and returns the new item', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: { ...item, revoked_at: { S: revokedAt } } });

    expect(await store().revoke(KEY_ID, revokedAt)).toEqual({ ...record, revokedAt });
    expect(ddb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: { key_id: { S: KEY_ID } },
        UpdateExpression: 'SET #revokedAt = if_not_exists(#revokedAt, :revokedAt)',
        ConditionExpression: 'attribute_exists(#keyId)',
        ExpressionAttributeNames: { '#keyId': 'key_id', '#revokedAt': 'revoked_at' },
        ExpressionAttributeValues: { ':revokedAt': { S: revokedAt } },
        ReturnValues: 'ALL_NEW',
      },
    ]);
  });

  it('returns the first revocation time when the key was already revoked', async () => {
    const first = '2025-02-01T00:00:00.000Z';
    ddb.on(UpdateItemCommand).resolves({ Attributes: { ...item, revoked_at: { S: first } } });

    expect((await store().revoke(KEY_ID, revokedAt))?.revokedAt).toBe(first);
  });

  it('answers undefined when there is no such key', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());

    expect(await store().revoke(KEY_ID, revokedAt)).toBeUndefined();
  });

  it('fails when the updated item is malformed', async () => {
    ddb
      .on(UpdateItemCommand)
      .resolves({ Attributes: { key_id: { S: KEY_ID }, revoked_at: { S: revokedAt } } });

    await expect(store().revoke(KEY_ID, revokedAt)).rejects.toThrow(`item of API key ${KEY_ID} is malformed`);
  });

  it('fails with the SDK error on other failures', async () => {
    ddb.on(UpdateItemCommand).rejects(new Error('network down'));

    await expect(store().revoke(KEY_ID, revokedAt)).rejects.toThrow('network down');
  });
});

describe('DynamoDbKeyStore.list', () => {
  const second = { ...item, key_id: { S: 'fedcba9876543210' } };
  const third = { ...item, key_id: { S: '1111111111111111' }, project_id: { S: 'other' } };

  it('scans every page, continuing from the last evaluated key', async () => {
    const lastKey = { key_id: { S: 'fedcba9876543210' } };
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [item, second], LastEvaluatedKey: lastKey })
      .resolvesOnce({ Items: [], LastEvaluatedKey: { key_id: { S: 'x' } } })
      .resolvesOnce({ Items: [third] });

    const records = await store().list();

    expect(records.map((r) => r.keyId)).toEqual([KEY_ID, 'fedcba9876543210', '1111111111111111']);
    expect(records[2]?.projectId).toBe('other');
    expect(ddb.commandCalls(ScanCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, ExclusiveStartKey: undefined },
      { TableName: TABLE, ExclusiveStartKey: lastKey },
      { TableName: TABLE, ExclusiveStartKey: { key_id: { S: 'x' } } },
    ]);
  });

  it('answers an empty list for an empty table', async () => {
    ddb.on(ScanCommand).resolves({});

    expect(await store().list()).toEqual([]);
  });

  it('fails naming the key of a malformed item', async () => {
    ddb.on(ScanCommand).resolves({ Items: [item, { ...second, key_hash: { S: 'nope' } }] });

    await expect(store().list()).rejects.toThrow('item of API key fedcba9876543210 is malformed: key_hash');
  });
});
