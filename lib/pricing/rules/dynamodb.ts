import { costLine } from '../cost-line.js';
import { perResource } from './rule.js';

/**
 * `AWS::DynamoDB::Table`: the API key table's storage (an assumption, `dynamoDbStorageGb`) and its
 * point-in-time recovery (size key `pointInTimeRecovery`, 1: on), billed on that storage. Its
 * requests are not priced.
 */
export const dynamoDbTableRule = perResource((r, { prices, assumptions: a }) => [
  costLine(
    r,
    'DynamoDB storage',
    a.dynamoDbStorageGb,
    prices.dynamoDb.storageGbMonth,
    `assumed ${a.dynamoDbStorageGb} GB of API keys`,
  ),
  ...(r.size.pointInTimeRecovery === 1
    ? [
        costLine(
          r,
          'DynamoDB point-in-time recovery',
          a.dynamoDbStorageGb,
          prices.dynamoDb.pointInTimeRecoveryGbMonth,
          `billed on the table's storage: assumed ${a.dynamoDbStorageGb} GB`,
        ),
      ]
    : []),
]);
