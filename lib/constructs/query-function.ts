import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { grantClickHouseAccess } from './clickhouse/client-access.js';
import { CLICKHOUSE_USERS } from './clickhouse/users-config.js';
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
  /**
   * The cluster's CA certificate, for HTTPS inside the VPC.
   * @default - none: the endpoint is plain HTTP or publicly trusted
   */
  readonly caCertificate?: string;
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
      environment: { API_KEYS_TABLE_NAME: props.keyTable.tableName },
    });
    props.keyTable.grantReadData(this.function);
    grantClickHouseAccess(this.function, {
      url: props.clickhouseUrl,
      user: CLICKHOUSE_USERS.query,
      passwordSecret: props.passwordSecret,
      ...(props.caCertificate === undefined ? {} : { caCertificate: props.caCertificate }),
    });
  }
}
