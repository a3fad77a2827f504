import { Duration } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { grantClickHouseAccess } from './clickhouse/client-access.js';
import { CLICKHOUSE_USERS } from './clickhouse/users-config.js';
import { EvalForgeFunction } from './evalforge-function.js';

export interface ClickHouseHealthProps {
  /** The cluster's VPC: the function reaches each node there. */
  readonly vpc: IVpc;
  /** @default - the VPC's private subnets with egress */
  readonly vpcSubnets?: SubnetSelection;
  /** The group the nodes admit to their HTTPS port. */
  readonly clientSecurityGroup: ISecurityGroup;
  /**
   * Every data node's own HTTPS URL (`https://s1r1.<domain>:8443`, …): each node is read by
   * itself, and its first host label is its `node` dimension.
   */
  readonly nodeUrls: readonly string[];
  /** The password of `user`, a user that may read `system.*`. */
  readonly passwordSecret: ISecret;
  /** @default CLICKHOUSE_USERS.monitor - SELECT on the system tables it reads, nothing else */
  readonly user?: string;
  /**
   * The cluster's CA certificate, DER in base64: the function verifies the nodes against it.
   * @default - the system's CAs
   */
  readonly caCertificate?: string;
  /** @default Duration.minutes(1) */
  readonly interval?: Duration;
}

/**
 * ClickHouse's own health as CloudWatch metrics (functions/health): a function in the VPC that a
 * schedule runs every minute, reading each data node's system tables (local disks' free ratio,
 * busiest partition's parts, merges, replication queue, failed inserts and selects) and printing
 * them in the embedded metric format, one line per node and per disk.
 */
export class ClickHouseHealth extends Construct {
  readonly function: EvalForgeFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: ClickHouseHealthProps) {
    super(scope, id);
    if (props.nodeUrls.length === 0) throw new Error('ClickHouseHealth needs at least one node URL');
    const interval = props.interval ?? Duration.minutes(1);
    this.function = new EvalForgeFunction(this, 'Function', {
      name: 'health',
      memoryMiB: 256,
      // Each node is given 10 s (functions/health/deps.ts); the next round starts a minute later.
      timeoutSec: Math.min(50, interval.toSeconds() - 5),
      // One round at a time: a slow round is not joined by the next.
      reservedConcurrency: 1,
      vpc: props.vpc,
      ...(props.vpcSubnets ? { vpcSubnets: props.vpcSubnets } : {}),
      securityGroups: [props.clientSecurityGroup],
      environment: { CLICKHOUSE_NODE_URLS: props.nodeUrls.join(',') },
    });
    grantClickHouseAccess(this.function, {
      user: props.user ?? CLICKHOUSE_USERS.monitor,
      passwordSecret: props.passwordSecret,
      ...(props.caCertificate ? { caCertificate: props.caCertificate } : {}),
    });
    this.schedule = new Rule(this, 'Schedule', {
      schedule: Schedule.rate(interval),
      description: 'Reads the ClickHouse nodes system tables into CloudWatch metrics',
      targets: [
        // A missed round is not worth a late one: the next comes within the interval.
        new LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) }),
      ],
    });
  }
}
