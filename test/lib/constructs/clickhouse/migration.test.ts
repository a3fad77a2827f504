import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsHash, readMigrations } from '../../../../clickhouse/migrate.js';
import type { TableRetention } from '../../../../clickhouse/retention.js';
import type { ClusterLayout } from '../../../../lib/constructs/clickhouse/cluster-layout.js';
import { addMigrationsResource } from '../../../../lib/constructs/clickhouse/migration.js';
import { TIER_IDS, TIERS } from '../../../../lib/tiers.js';

type Resource = { Properties: Record<string, unknown> };

/** The resource on a bare construct named as the cluster is; bundled only when `outdir` is given. */
function build(layout: ClusterLayout, outdir?: string, retention: TableRetention = TIERS[1].retention) {
  const app = new App({
    ...(outdir ? { outdir } : { context: { 'aws:cdk:bundling-stacks': [] } }),
  });
  const stack = new Stack(app, 'Analytics');
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2 });
  const scope = new Construct(stack, 'ClickHouse');
  const resource = addMigrationsResource(scope, {
    layout,
    vpc,
    clientSecurityGroup: new SecurityGroup(stack, 'Clients', { vpc }),
    adminPassword: new Secret(stack, 'AdminPassword'),
    caCertificate: 'TUlJQ0FURVNU',
    retention,
  });
  return { app, stack, scope, resource, template: Template.fromStack(stack) };
}

const logicalId = (stack: Stack, element: CfnElement): string => stack.resolve(stack.getLogicalId(element));

const CLUSTER: ClusterLayout = {
  clusterName: 'analytics',
  domainName: 'ch.example.internal',
  shards: 2,
  replicas: 2,
  keeperNodes: 3,
};

describe('addMigrationsResource', () => {
  // Built once, as the test file is collected: the first synthesis of a process is slow.
  const { stack, scope, template } = build(CLUSTER);
  const single = build({ ...CLUSTER, shards: 1, replicas: 1, keeperNodes: 0 }).template;

  it('carries every migration file, their hash, the cluster and its nodes', () => {
    const [resource] = Object.values(
      template.findResources('Custom::ClickHouseMigrations') as Record<string, Resource>,
    );
    const files = readMigrations();
    expect(resource?.Properties).toMatchObject({
      Cluster: 'analytics',
      Nodes: 's1r1,s1r2,s2r1,s2r2',
      MigrationsSha256: migrationsHash(files),
      Migrations: files.map((m) => ({ Version: String(m.version), Name: m.name, Sql: m.sql })),
    });
    expect(resource?.Properties.MigrationsSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each(TIER_IDS)(
    "carries tier %i's retention as strings, as CloudFormation passes them, without its reasons",
    (id) => {
      const r = TIERS[id].retention;
      const [resource] = Object.values(
        build(CLUSTER, undefined, r).template.findResources('Custom::ClickHouseMigrations') as Record<
          string,
          Resource
        >,
      );
      expect(resource?.Properties.Retention).toEqual({
        HotDays: String(r.hotDays),
        WarmDays: String(r.warmDays),
        BodiesDays: String(r.bodiesDays),
        MinuteRollupDays: String(r.minuteRollupDays),
        HourRollupDays: String(r.hourRollupDays),
        TtlMergeTimeoutSec: String(r.ttlMergeTimeoutSec),
      });
    },
  );

  it('passes no hot days as an empty string: the nodes have one disk and nothing moves', () => {
    const { template: oneDisk } = build(CLUSTER, undefined, { ...TIERS[1].retention, hotDays: null });
    oneDisk.hasResourceProperties('Custom::ClickHouseMigrations', {
      Retention: Match.objectLike({ HotDays: '' }),
    });
  });

  it('names no cluster for nodes without Keeper: the statements render for a single node', () => {
    single.hasResourceProperties('Custom::ClickHouseMigrations', { Cluster: '', Nodes: 's1r1' });
  });

  it('runs the statements on the first node after every node answers, as the admin user, over HTTP', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'migrate',
          CLICKHOUSE_URL: 'https://s1r1.ch.example.internal:8443',
          CLICKHOUSE_NODE_URLS: ['s1r1', 's1r2', 's2r1', 's2r2']
            .map((n) => `https://${n}.ch.example.internal:8443`)
            .join(','),
          CLICKHOUSE_USER: 'evalforge_admin',
          CLICKHOUSE_PASSWORD_SECRET_ARN: { Ref: Match.stringLikeRegexp('^AdminPassword') },
          CLICKHOUSE_CA_CERT: 'TUlJQ0FURVNU',
        },
      },
      Timeout: 900,
    });
  });

  it('puts its constructs directly in the scope, so their logical IDs are those the cluster always had', () => {
    const id = (child: string) =>
      logicalId(stack, scope.node.findChild(child).node.defaultChild as CfnElement);
    expect(id('MigrationFunction')).toMatch(/^ClickHouseMigrationFunction[0-9A-F]{8}$/);
    expect(id('MigrationProviderLogs')).toMatch(/^ClickHouseMigrationProviderLogs[0-9A-F]{8}$/);
    expect(id('Migrations')).toMatch(/^ClickHouseMigrations[0-9A-F]{8}$/);
  });
});

describe('the migration function bundle', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'clickhouse-migration-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is built by the local esbuild, without chDB', () => {
    const { app, stack, scope } = build(CLUSTER, outdir);
    const assembly = app.synth();
    const fn = scope.node.findChild('MigrationFunction').node.defaultChild as CfnElement;
    const code = Template.fromStack(stack).toJSON().Resources[logicalId(stack, fn)].Properties.Code;
    const bundle = join(assembly.directory, `asset.${String(code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    expect(statSync(bundle).size).toBeLessThan(5 * 1024 * 1024);
    const text = readFileSync(bundle, 'utf8');
    expect(text).not.toMatch(/chdb/);
    expect(text).toContain('schema_migrations');
  }, 60_000);
});
