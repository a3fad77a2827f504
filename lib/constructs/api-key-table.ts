import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { KEY_TABLE_PARTITION_KEY } from '../../functions/shared/auth/key-store-dynamodb.js';

/** DynamoDB's attribute type letters as the CDK names them. */
const ATTRIBUTE_TYPES = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
} as const;

/**
 * The API key table: one item per key, keyed by the partition key the key store uses
 * (`KEY_TABLE_PARTITION_KEY`), read by the validators and managed by the key command.
 *
 * On-demand billing: the validators cache keys, so reads are few and bursty, and no capacity is
 * there to plan. Point-in-time recovery, encryption at rest with the AWS-managed key
 * `alias/aws/dynamodb`, deletion protection and retention on stack deletion: losing the table
 * locks every client out. The construct takes no sizing, so it has no props.
 */
export class ApiKeyTable extends Construct {
  /** The table; grant `table.grantReadData(validator)` and `table.grantReadWriteData(admin)`. */
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: {
        name: KEY_TABLE_PARTITION_KEY.name,
        type: ATTRIBUTE_TYPES[KEY_TABLE_PARTITION_KEY.type],
      },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
