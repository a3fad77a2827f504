import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { KEY_TABLE_PARTITION_KEY } from '../../../functions/shared/auth/key-store-dynamodb.js';
import { ApiKeyTable } from '../../../lib/constructs/api-key-table.js';

describe('ApiKeyTable', () => {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const keys = new ApiKeyTable(stack, 'ApiKeys');
  const template = Template.fromStack(stack);

  it('is one table keyed by the key store’s partition key alone', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: KEY_TABLE_PARTITION_KEY.name, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: KEY_TABLE_PARTITION_KEY.name, AttributeType: 'S' }],
    });
  });

  it('bills on demand, with point-in-time recovery and AWS-managed encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // SSEEnabled without a KMS key: encryption with the AWS-managed key alias/aws/dynamodb.
      SSESpecification: { SSEEnabled: true },
    });
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(table?.Properties?.SSESpecification).not.toHaveProperty('KMSMasterKeyId');
    expect(table?.Properties).not.toHaveProperty('ProvisionedThroughput');
  });

  it('survives deletion: deletion protection and retention', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: { DeletionProtectionEnabled: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('exposes the table', () => {
    expect(stack.resolve(keys.table.tableName)).toEqual({
      Ref: Object.keys(template.findResources('AWS::DynamoDB::Table'))[0],
    });
  });
});

describe('ApiKeyTable and cdk-nag', () => {
  it('has no unacknowledged AwsSolutions findings', () => {
    const app = new App();
    new ApiKeyTable(new Stack(app, 'Test'), 'ApiKeys');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});
