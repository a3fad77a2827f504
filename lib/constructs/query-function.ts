import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EvalForgeFunction } from './evalforge-function.js';

export interface QueryFunctionProps {
  readonly vpc: IVpc;
  /** The security group ClickHouse accepts clients from. */
  readonly clientSecurityGroup: ISecurityGroup;
  /** The API keys, read only: queries authenticate with the same keys as ingest. */
  readonly keyTable: ITable;
  readonly clickhouseUrl: string;
  /** The query user's password (a read-only ClickHouse user), a plain-text secret. */
  readonly passwordSecret: ISecret;
  readonly memoryMiB: number;
  readonly timeoutSec: number;
  readonly reservedConcurrency: number;
}

/** The query API behind the load balancers: dashboard questions, each scoped to the key's project. */
export class QueryFunction extends Construct {
  readonly function: EvalForgeFunction;

  constructor(scope: Construct, id: string, props: QueryFunctionProps) {
    super(scope, id);
    this.function = new EvalForgeFunction(this, 'Function', {
      name: 'query',
      memoryMiB: props.memoryMiB,
      timeoutSec: props.timeoutSec,
      reservedConcurrency: props.reservedConcurrency,
      vpc: props.vpc,
      securityGroups: [props.clientSecurityGroup],
      environment: {
        API_KEYS_TABLE_NAME: props.keyTable.tableName,
        CLICKHOUSE_URL: props.clickhouseUrl,
        CLICKHOUSE_USER: 'evalforge_query',
        CLICKHOUSE_PASSWORD_SECRET_ARN: props.passwordSecret.secretArn,
      },
    });
    props.keyTable.grantReadData(this.function);
    props.passwordSecret.grantRead(this.function);
  }
}
