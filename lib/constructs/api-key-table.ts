import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  BillingMode,
  type ITable,
  Table,
  TableEncryption,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { KEY_TABLE_PARTITION_KEY } from '../../functions/shared/auth/key-store-dynamodb.js';

/** DynamoDB's attribute type letters as the CDK names them. */
const ATTRIBUTE_TYPES = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
} as const;

export interface ApiKeyTableProps {
  /**
   * A multi-region tier: the table becomes a DynamoDB global table of this name, created in the
   * primary region with a replica in each of `replicaRegions`, so each region's validators read
   * the keys (and each key's home region) locally.
   * @default - a single-region table with a generated name
   */
  readonly global?: {
    /** The physical name: the replicas in the other regions are found by it. */
    readonly tableName: string;
    /** The other regions of the tier, each holding a replica. */
    readonly replicaRegions: readonly string[];
  };
  /**
   * The replica of a global table that another stack of the tier creates: this region's stack
   * reads it by name and creates nothing.
   * @default - the table is created here
   */
  readonly replicaOf?: string;
}

/**
 * The API key table: one item per key, keyed by the partition key the key store uses
 * (`KEY_TABLE_PARTITION_KEY`), read by the validators and managed by the key command. A key may
 * carry its project's home region (`homeRegion`), where its events are stored and queried.
 *
 * On-demand billing: the validators cache keys, so reads are few and bursty, and no capacity is
 * there to plan. Point-in-time recovery, encryption at rest with the AWS-managed key
 * `alias/aws/dynamodb`, deletion protection and retention on stack deletion: losing the table
 * locks every client out.
 *
 * A single-region tier keeps the `AWS::DynamoDB::Table` it always had. A multi-region tier needs
 * `AWS::DynamoDB::GlobalTable` (`TableV2` with replicas), a different resource type, which
 * CloudFormation cannot change in place: the global table has its own construct id (`GlobalTable`)
 * and name, and moving a deployment to such a tier copies the keys over (docs/deploy.md). Making
 * every tier's table a replica-less `TableV2` instead would replace the key table of every
 * existing deployment of tiers 1–3.
 */
export class ApiKeyTable extends Construct {
  /** The table; grant `table.grantReadData(validator)` and `table.grantReadWriteData(admin)`. */
  readonly table: ITable;

  constructor(scope: Construct, id: string, props: ApiKeyTableProps = {}) {
    super(scope, id);
    if (props.global !== undefined && props.replicaOf !== undefined) {
      throw new Error(
        'ApiKeyTable: give global (create the table here) or replicaOf (read it here), not both',
      );
    }
    const partitionKey = {
      name: KEY_TABLE_PARTITION_KEY.name,
      type: ATTRIBUTE_TYPES[KEY_TABLE_PARTITION_KEY.type],
    };
    if (props.replicaOf !== undefined) {
      this.table = TableV2.fromTableName(this, 'Replica', props.replicaOf);
    } else if (props.global !== undefined) {
      this.table = new TableV2(this, 'GlobalTable', {
        tableName: props.global.tableName,
        partitionKey,
        billing: Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryptionV2.awsManagedKey(),
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
        replicas: props.global.replicaRegions.map((region) => ({ region })),
      });
    } else {
      this.table = new Table(this, 'Table', {
        partitionKey,
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.AWS_MANAGED,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }
  }
}
