import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { PHYSICAL_ID } from '../../../functions/certificates/core.js';
import { handler } from '../../../functions/certificates/handler.js';
import { CERTIFICATES_CREATE } from './fixture.js';

const context = {
  functionName: 'EvalForge-ClickHouseCertificateFunction',
  functionVersion: '$LATEST',
  invokedFunctionArn:
    'arn:aws:lambda:eu-west-1:123456789012:function:EvalForge-ClickHouseCertificateFunction',
  memoryLimitInMB: '256',
  awsRequestId: '3f0c6a2e-1b4d-4e5f-8a9b-0c1d2e3f4a5b',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe('certificates handler', () => {
  it('answers a Delete with the resource it was given, and touches nothing', async () => {
    const event = { ...CERTIFICATES_CREATE, RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID } as const;
    await expect(handler(event, context)).resolves.toEqual({ PhysicalResourceId: PHYSICAL_ID });
  });

  it('fails a Create with bad properties by name, before reaching Secrets Manager', async () => {
    const event = {
      ...CERTIFICATES_CREATE,
      ResourceProperties: { ...CERTIFICATES_CREATE.ResourceProperties, Nodes: [] },
    };
    await expect(handler(event, context)).rejects.toThrow(/^invalid certificates resource properties: Nodes/);
  });
});
