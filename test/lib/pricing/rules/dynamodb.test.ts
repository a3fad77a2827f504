import { describe, expect, it } from 'vitest';
import { dynamoDbTableRule } from '../../../../lib/pricing/rules/dynamodb.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

const table = (pointInTimeRecovery: number) =>
  res('AWS::DynamoDB::Table', 'Keys', { pointInTimeRecovery }, 'ingest');

describe('dynamoDbTableRule', () => {
  it.each([
    // 1 GB assumed × $0.25, and point-in-time recovery on it × $0.20
    [
      1,
      {},
      [
        ['DynamoDB storage', 1, 0.25],
        ['DynamoDB point-in-time recovery', 1, 0.2],
      ],
    ],
    [0, {}, [['DynamoDB storage', 1, 0.25]]],
    [
      1,
      { dynamoDbStorageGb: 3 },
      [
        ['DynamoDB storage', 3, 0.75],
        ['DynamoDB point-in-time recovery', 3, 0.6],
      ],
    ],
  ])('bills a table with pointInTimeRecovery %d and %o', (pitr, assumptions, expected) => {
    const [lines] = priceWith(dynamoDbTableRule, [table(pitr)], { load: idle, assumptions });
    expect(summary(lines ?? [])).toEqual(
      expected.map(([item, gb, usd]) => [item, gb, expect.closeTo(usd as number, 9)]),
    );
  });
});
