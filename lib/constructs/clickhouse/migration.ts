import { CustomResource } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { migrationsHash, readMigrations } from '../../../clickhouse/migrate.js';
import type { TableRetention } from '../../../clickhouse/retention.js';
import { EvalForgeFunction } from '../evalforge-function.js';
import {
  type ClusterLayout,
  dataNodeName,
  dataNodes,
  fqdn,
  httpsUrl,
  isReplicatedCluster,
} from './cluster-layout.js';
import { customResourceProvider } from './custom-resource-provider.js';
import { CLICKHOUSE_USERS } from './users-config.js';

/** What the migrations need of the cluster. */
export interface MigrationsResourceOptions {
  readonly layout: ClusterLayout;
  /** The cluster's VPC: the function reaches the nodes there. */
  readonly vpc: IVpc;
  /**
   * Where the function goes.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: SubnetSelection;
  /** The group the nodes admit to their HTTPS port. */
  readonly clientSecurityGroup: ISecurityGroup;
  /** The admin user's password: the statements run as that user. */
  readonly adminPassword: ISecret;
  /** The cluster's CA certificate, DER in base64: the function verifies the nodes against it. */
  readonly caCertificate: string;
  /** How long the tables keep what: applied after the migrations, and again when it changes. */
  readonly retention: TableRetention;
}

/**
 * The `Retention` property: `retention` as CloudFormation passes it (every scalar a string; no
 * `hotDays`, one disk, as ''), and only its six values, so a changed explanation in the sizing
 * table does not update the resource.
 */
export function retentionProperty(retention: TableRetention): Record<string, string> {
  return {
    HotDays: retention.hotDays === null ? '' : String(retention.hotDays),
    WarmDays: String(retention.warmDays),
    BodiesDays: String(retention.bodiesDays),
    MinuteRollupDays: String(retention.minuteRollupDays),
    HourRollupDays: String(retention.hourRollupDays),
    TtlMergeTimeoutSec: String(retention.ttlMergeTimeoutSec),
  };
}

/**
 * The custom resource that applies clickhouse/migrations at deploy, through functions/migrate:
 * the migration files go in its properties as synthesized, so what runs is exactly what this
 * commit holds, and a new migration, a topology change or added nodes each re-run it. The tier's
 * retention goes with them (`Retention`): a tier change updates the resource, which alters the
 * tables to the new TTLs.
 *
 * Its constructs (`MigrationFunction`, `MigrationProvider`, `MigrationProviderLogs`,
 * `Migrations`) are children of `scope`, the cluster, and not of a construct of their own: that
 * keeps the logical IDs of every deployed cluster.
 */
export function addMigrationsResource(scope: Construct, options: MigrationsResourceOptions): CustomResource {
  const { layout } = options;
  const nodeUrls = dataNodes(layout).map((n) => httpsUrl(fqdn(layout, dataNodeName(n))));
  const [firstNode] = nodeUrls;
  if (firstNode === undefined) throw new Error('a cluster has at least one data node');
  const fn = new EvalForgeFunction(scope, 'MigrationFunction', {
    name: 'migrate',
    memoryMiB: 512,
    // ON CLUSTER statements wait for every node; the handler first waits for the cluster to answer.
    timeoutSec: 900,
    vpc: options.vpc,
    ...(options.vpcSubnets ? { vpcSubnets: options.vpcSubnets } : {}),
    securityGroups: [options.clientSecurityGroup],
    environment: {
      // The first node runs the statements (ON CLUSTER carries them to the others); every node
      // must answer before the first one.
      CLICKHOUSE_URL: firstNode,
      CLICKHOUSE_NODE_URLS: nodeUrls.join(','),
      CLICKHOUSE_USER: CLICKHOUSE_USERS.admin,
      CLICKHOUSE_PASSWORD_SECRET_ARN: options.adminPassword.secretArn,
      CLICKHOUSE_CA_CERT: options.caCertificate,
    },
  });
  options.adminPassword.grantRead(fn);
  // The wrapper acknowledges the findings every function raises (its managed policies, X-Ray's "*").
  const provider = customResourceProvider(scope, 'MigrationProvider', fn, 'migration');
  const migrations = readMigrations();
  return new CustomResource(scope, 'Migrations', {
    serviceToken: provider.serviceToken,
    resourceType: 'Custom::ClickHouseMigrations',
    properties: {
      Cluster: isReplicatedCluster(layout) ? layout.clusterName : '',
      Nodes: dataNodes(layout).map(dataNodeName).join(','),
      MigrationsSha256: migrationsHash(migrations),
      // About 10 KB today; a custom resource request may carry up to 256 KB.
      Migrations: migrations.map((m) => ({ Version: String(m.version), Name: m.name, Sql: m.sql })),
      Retention: retentionProperty(options.retention),
    },
  });
}
