import { readFileSync } from 'node:fs';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { handler } from '../../../functions/migrate/handler.js';

const CREATE = JSON.parse(
  readFileSync(new URL('../../fixtures/cloudformation/migrations-create.json', import.meta.url), 'utf8'),
) as CloudFormationCustomResourceEvent;

const context = {
  functionName: 'EvalForge-ClickHouseMigrationFunction',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:EvalForge-ClickHouseMigrationFunction',
  memoryLimitInMB: '512',
  awsRequestId: '3f0c6a2e-1b4d-4e5f-8a9b-0c1d2e3f4a5b',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;

describe('migrate handler', () => {
  it('answers a Delete with the resource it was given, and touches nothing', async () => {
    const event = { ...CREATE, RequestType: 'Delete', PhysicalResourceId: 'clickhouse-migrations' } as const;
    await expect(handler(event, context)).resolves.toEqual({ PhysicalResourceId: 'clickhouse-migrations' });
  });

  it('fails a Create by name when its environment is missing', async () => {
    vi.stubEnv('CLICKHOUSE_URL', undefined);
    try {
      await expect(handler(CREATE, context)).rejects.toThrow(
        /^migrate environment is invalid: CLICKHOUSE_URL: /,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
