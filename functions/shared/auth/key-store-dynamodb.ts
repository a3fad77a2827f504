import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { describeZodIssues } from '../zod-issues.js';
import { type ApiKeyRecord, ApiKeyRecordSchema, type KeyAdmin } from './api-keys.js';

/**
 * The key table's attribute names, one place for the store and the CDK construct that creates
 * the table. Only `key_id` is part of the key schema; the others are plain attributes.
 */
export const KEY_TABLE_ATTRIBUTES = {
  keyId: 'key_id',
  projectId: 'project_id',
  keyHash: 'key_hash',
  createdAt: 'created_at',
  revokedAt: 'revoked_at',
  homeRegion: 'home_region',
} as const;

/** The key table's key schema: a string partition key and no sort key. */
export const KEY_TABLE_PARTITION_KEY = { name: KEY_TABLE_ATTRIBUTES.keyId, type: 'S' } as const;

const A = KEY_TABLE_ATTRIBUTES;

/**
 * The API key store in DynamoDB: the validator reads it (behind a `CachedKeyStore`), the key
 * command manages it. One item per key, keyed by `key_id`.
 */
export class DynamoDbKeyStore implements KeyAdmin {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async findByKeyId(keyId: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.guard(
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [A.keyId]: { S: keyId } },
          // The validator caches what it reads, so a strongly consistent read would buy nothing.
          ConsistentRead: false,
        }),
      ),
    );
    if (!Item) return undefined;
    const record = this.toRecord(Item, keyId);
    if (record.keyId !== keyId) {
      throw new Error(
        `DynamoDB table ${this.tableName}: lookup of API key ${keyId} returned the item of key ${record.keyId}`,
      );
    }
    return record;
  }

  async put(record: ApiKeyRecord): Promise<void> {
    try {
      await this.guard(
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: toItem(record),
            // Key ids are random; a collision must fail loudly rather than replace another key.
            ConditionExpression: 'attribute_not_exists(#keyId)',
            ExpressionAttributeNames: { '#keyId': A.keyId },
          }),
        ),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) {
        throw new Error(`API key ${record.keyId} already exists in DynamoDB table ${this.tableName}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async revoke(keyId: string, revokedAt: string): Promise<ApiKeyRecord | undefined> {
    try {
      const { Attributes } = await this.guard(
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [A.keyId]: { S: keyId } },
            // Revoking twice keeps the first time: that is when the key stopped being trusted.
            UpdateExpression: 'SET #revokedAt = if_not_exists(#revokedAt, :revokedAt)',
            ConditionExpression: 'attribute_exists(#keyId)',
            ExpressionAttributeNames: { '#keyId': A.keyId, '#revokedAt': A.revokedAt },
            ExpressionAttributeValues: { ':revokedAt': { S: revokedAt } },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (!Attributes) {
        throw new Error(`DynamoDB table ${this.tableName}: revoking API key ${keyId} returned no item`);
      }
      return this.toRecord(Attributes, keyId);
    } catch (error) {
      if (isConditionalCheckFailure(error)) return undefined;
      throw error;
    }
  }

  async list(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.guard(
        this.client.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: startKey })),
      );
      for (const item of page.Items ?? []) records.push(this.toRecord(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  private toRecord(item: Record<string, AttributeValue>, expectedKeyId?: string): ApiKeyRecord {
    const malformed = (problems: string) => {
      const keyId = expectedKeyId ?? item[A.keyId]?.S ?? '(no key_id)';
      return new Error(
        `DynamoDB table ${this.tableName}: item of API key ${keyId} is malformed: ${problems}`,
      );
    };
    // Checked first: read as absent, a revoked_at of another type would leave a revoked key valid.
    const mistyped = Object.values(A).filter(
      (attribute) => item[attribute] && item[attribute].S === undefined,
    );
    if (mistyped.length > 0) {
      throw malformed(mistyped.map((attribute) => `${attribute}: must be a string attribute`).join('; '));
    }
    const fields = Object.entries(A).map(([field, attribute]) => [field, item[attribute]?.S] as const);
    const parsed = ApiKeyRecordSchema.safeParse(
      Object.fromEntries(fields.filter(([, value]) => value !== undefined)),
    );
    if (!parsed.success) {
      throw malformed(
        describeZodIssues(parsed.error, {
          formatPath: ([field]) => A[field as keyof typeof A] ?? String(field),
          emptyPathLabel: 'item',
        }),
      );
    }
    return parsed.data;
  }

  /** Awaits an SDK call; a missing table gets a message that names it. */
  private async guard<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') {
        throw new Error(`DynamoDB table ${this.tableName} does not exist (in this account and region)`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}

function toItem(record: ApiKeyRecord): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    [A.keyId]: { S: record.keyId },
    [A.projectId]: { S: record.projectId },
    [A.keyHash]: { S: record.keyHash },
    [A.createdAt]: { S: record.createdAt },
  };
  if (record.revokedAt !== undefined) item[A.revokedAt] = { S: record.revokedAt };
  if (record.homeRegion !== undefined) item[A.homeRegion] = { S: record.homeRegion };
  return item;
}

function isConditionalCheckFailure(error: unknown): boolean {
  // By name, not instanceof: a second copy of the SDK in the bundle would defeat instanceof.
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
