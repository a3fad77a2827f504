import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct, type IConstruct } from 'constructs';
import { KEY_TABLE_PARTITION_KEY } from '../../functions/shared/auth/key-store-dynamodb.js';

/** DynamoDB's attribute type letters as the CDK names them. */
const ATTRIBUTE_TYPES = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
} as const;

export interface ApiKeyTableProps {
  /**
   * A multi-region tier's primary region: the table gets a replica in each of these regions (a
   * DynamoDB global table, version 2019.11.21), so each region's validators read the keys, and
   * each key's home region, locally.
   * @default - no replicas
   */
  readonly replicationRegions?: readonly string[];
  /**
   * Another region of a multi-region tier: the table is the replica the primary region created,
   * read here by its name, and nothing is created.
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
 * Every tier has the same `AWS::DynamoDB::Table`, so moving up to a multi-region tier updates it in
 * place: the replicas are added to the existing table (`replicationRegions`, which CDK applies
 * with a custom resource, and which needs the table's stream), and the keys it holds replicate
 * with it. An `AWS::DynamoDB::GlobalTable` would be another resource type, which CloudFormation
 * cannot change in place: the move would replace the table and lock every client out until the
 * keys were copied.
 */
export class ApiKeyTable extends Construct {
  /** The table; grant `table.grantReadData(validator)` and `table.grantReadWriteData(admin)`. */
  readonly table: ITable;
  /** CDK's custom resource that adds the replicas (a nested stack of this stack), when there are any: tag it with the table. */
  readonly replicaProvider?: IConstruct;

  constructor(scope: Construct, id: string, props: ApiKeyTableProps = {}) {
    super(scope, id);
    if (props.replicationRegions !== undefined && props.replicaOf !== undefined) {
      throw new Error(
        'ApiKeyTable: give replicationRegions (create the table here) or replicaOf (read it here), not both',
      );
    }
    if (props.replicaOf !== undefined) {
      this.table = Table.fromTableName(this, 'Replica', props.replicaOf);
      return;
    }
    const replicas = props.replicationRegions ?? [];
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
      ...(replicas.length > 0
        ? { replicationRegions: [...replicas], stream: StreamViewType.NEW_AND_OLD_IMAGES }
        : {}),
    });
    if (replicas.length > 0) {
      this.replicaProvider = Stack.of(this).node.tryFindChild(REPLICA_PROVIDER_ID);
      this.acknowledgeReplicaProviderFindings();
    }
  }

  /**
   * What cdk-nag reports on the custom resource CDK adds to create the replicas (its provider's
   * functions, their roles and its waiter state machine), which this construct cannot change.
   */
  private acknowledgeReplicaProviderFindings(): void {
    const stack = Stack.of(this);
    const provider = stack.node.tryFindChild(REPLICA_PROVIDER_ID);
    const table = this.node.findChild('Table');
    const why =
      "CDK's custom resource that adds a DynamoDB global table's replicas (aws-dynamodb ReplicaProvider), run only when the replicas change";
    const acknowledge = (scope: IConstruct, id: string, reason: string) =>
      Validations.of(scope).acknowledge({ id: `AwsSolutions::${id}`, reason: `${why}: ${reason}` });
    for (const scope of [provider, table]) {
      if (!scope) continue;
      acknowledge(
        scope,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "its functions use Lambda's own minimal execution policy (CloudWatch Logs writes).",
      );
      acknowledge(
        scope,
        'AwsSolutions-IAM5[Action::dynamodb:*]',
        'it creates and deletes replicas (dynamodb:CreateTableReplica, UpdateTable, DescribeTable… on this table), which CDK grants as dynamodb:* on the table.',
      );
      acknowledge(
        scope,
        'AwsSolutions-IAM5[Resource::*]',
        "creating a replica needs iam:CreateServiceLinkedRole and the replica regions' tables, which CDK grants on *.",
      );
      for (const handler of [
        'OnEventHandler42BEBAE0',
        'IsCompleteHandler7073F4DA',
        'ProviderframeworkisComplete26D7B0CB',
        'ProviderframeworkonTimeout0B47CA38',
      ]) {
        acknowledge(
          scope,
          `AwsSolutions-IAM5[Resource::<${handler}.Arn>:*]`,
          'the provider framework invokes its own functions, any version (lambda:InvokeFunction on <function arn>:*).',
        );
      }
      acknowledge(
        scope,
        'AwsSolutions-SF1',
        "the provider framework's waiter state machine logs nothing of its own; its functions log to CloudWatch.",
      );
      acknowledge(
        scope,
        'AwsSolutions-SF2',
        "the provider framework's waiter state machine has no X-Ray tracing setting.",
      );
    }
  }
}

/** The id CDK gives the replica provider, a nested stack of the table's stack. */
const REPLICA_PROVIDER_ID = '@aws-cdk--aws-dynamodb.ReplicaProvider';
