import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../../clickhouse/migrate.js';
import {
  CLICKHOUSE_PORTS,
  ClickHouseCluster,
  type ClickHouseClusterProps,
  ClickHouseClusterPropsError,
  type ClusterLayout,
  dataNodeName,
  dataNodes,
  migrationsHash,
  readMigrations,
  renderKeeperConfig,
  renderKeeperUserData,
  renderNodeUserData,
  renderServerConfig,
  renderUsersConfig,
} from '../../../lib/constructs/clickhouse-cluster.js';

type Shape = Omit<ClickHouseClusterProps, 'vpc'> & { readonly label: string };

/** The three shapes the tiers use: one node (tiers 1–2), 3 × 1 (tier 3), 6 × 2 (tier 4). */
const SHAPES: readonly Shape[] = [
  {
    label: '1 shard × 1 replica, no Keeper',
    instanceType: 'c5.xlarge',
    shards: 1,
    replicas: 1,
    keeperNodes: 0,
    keeperInstanceType: 't3.small',
    volumeGiB: 1_000,
    volumeThroughputMiBps: 125,
    volumeIops: 3_000,
  },
  {
    label: '3 shards × 1 replica, 3 Keepers',
    instanceType: 'c5.4xlarge',
    shards: 3,
    replicas: 1,
    keeperNodes: 3,
    keeperInstanceType: 't3.small',
    volumeGiB: 8_000,
    volumeThroughputMiBps: 500,
    volumeIops: 10_000,
  },
  {
    label: '6 shards × 2 replicas, 3 Keepers',
    instanceType: 'c5.9xlarge',
    shards: 6,
    replicas: 2,
    keeperNodes: 3,
    keeperInstanceType: 't3.medium',
    volumeGiB: 16_000,
    volumeThroughputMiBps: 1_000,
    volumeIops: 16_000,
  },
];

const ZONE = 'clickhouse.evalforge.internal';

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly cluster: ClickHouseCluster;
}

/** A bare, environment-agnostic stack; the function is bundled only when an `outdir` is given. */
function build(
  shape: Omit<ClickHouseClusterProps, 'vpc'>,
  options: { nag?: boolean; outdir?: string } = {},
): Built {
  const app = new App({
    // As cdk.json: the template validator's findings fail the synth.
    context: {
      '@aws-cdk/core:validateAgainstDefaultRules': true,
      ...(options.outdir ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const stack = new Stack(app, 'Analytics');
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2 });
  Validations.of(vpc).acknowledge({
    id: 'AwsSolutions::AwsSolutions-VPC7',
    reason: 'Test fixture: the real VPC is the network construct’s.',
  });
  const cluster = new ClickHouseCluster(stack, 'ClickHouse', { vpc, ...shape });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, cluster };
}

const logicalId = (stack: Stack, element: CfnElement): string => stack.resolve(stack.getLogicalId(element));

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] } & Record<
  string,
  unknown
>;

describe.each(SHAPES)('ClickHouseCluster, $label', (shape) => {
  const { stack, cluster } = build(shape);
  const template = Template.fromStack(stack);
  const nodes = shape.shards * shape.replicas;
  const instances = template.findResources('AWS::EC2::Instance') as Record<string, Resource>;
  const dataIds = cluster.instances.map((i) => logicalId(stack, i.instance));
  const keeperIds = cluster.keeperInstances.map((i) => logicalId(stack, i.instance));
  const layout: ClusterLayout = {
    clusterName: 'evalforge',
    domainName: ZONE,
    shards: shape.shards,
    replicas: shape.replicas,
    keeperNodes: shape.keeperNodes,
  };

  it('synthesizes without warnings', () => {
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('runs one data node per shard and replica, and the Keeper nodes on instances of their own', () => {
    expect(Object.keys(instances)).toHaveLength(nodes + shape.keeperNodes);
    expect(cluster.instances).toHaveLength(nodes);
    expect(cluster.keeperInstances).toHaveLength(shape.keeperNodes);
    for (const id of dataIds) expect(instances[id]?.Properties.InstanceType).toBe(shape.instanceType);
    for (const id of keeperIds) expect(instances[id]?.Properties.InstanceType).toBe(shape.keeperInstanceType);
    const ids = cluster.instances.map((i) => i.node.id);
    expect(ids).toEqual(dataNodes(shape).map((n) => `Shard${n.shard}Replica${n.replica}`));
    expect(cluster.keeperInstances.map((i) => i.node.id)).toEqual(
      Array.from({ length: shape.keeperNodes }, (_, k) => `Keeper${k + 1}`),
    );
  });

  it('gives each data node an encrypted gp3 data volume of the given size, throughput and IOPS, retained', () => {
    template.resourceCountIs('AWS::EC2::Volume', nodes);
    const volumes = template.findResources('AWS::EC2::Volume') as Record<string, Resource>;
    for (const volume of Object.values(volumes)) {
      expect(volume.Properties).toMatchObject({
        Encrypted: true,
        VolumeType: 'gp3',
        Size: shape.volumeGiB,
        Throughput: shape.volumeThroughputMiBps,
        Iops: shape.volumeIops,
      });
      expect(volume.DeletionPolicy).toBe('Retain');
      expect(volume.UpdateReplacePolicy).toBe('Retain');
    }
    cluster.instances.forEach((instance, i) => {
      const volume = cluster.dataVolumes[i];
      if (!volume) throw new Error(`no volume ${i}`);
      const properties = instances[logicalId(stack, instance.instance)]?.Properties;
      // Attached as the instance launches (so before its creation signal), separate from the root volume.
      expect(properties?.Volumes).toEqual([
        { Device: '/dev/sdf', VolumeId: { Ref: logicalId(stack, volume.node.defaultChild as CfnElement) } },
      ]);
      expect(stack.resolve(volume.availabilityZone)).toEqual(properties?.AvailabilityZone);
    });
  });

  it('requires IMDSv2, has no SSH key, encrypts the root volume and turns detailed monitoring on', () => {
    for (const instance of Object.values(instances)) {
      expect(instance.Properties.MetadataOptions).toEqual({ HttpTokens: 'required' });
      expect(instance.Properties.KeyName).toBeUndefined();
      expect(instance.Properties.Monitoring).toBe(true);
      expect(instance.Properties.BlockDeviceMappings).toEqual([
        { DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 30, VolumeType: 'gp3' } },
      ]);
      expect(instance.Properties.ImageId).toBe(
        'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      );
    }
  });

  it('gives the instance role Session Manager and read access to the password secrets only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
      }),
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore'],
          ],
        },
      ],
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    template.allResourcesProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 40 },
    });
  });

  it('opens the inter-node ports among the nodes only and the HTTP port to the client group only; no SSH', () => {
    const nodeGroup = logicalId(stack, cluster.nodeSecurityGroup.node.defaultChild as CfnElement);
    const clientGroup = logicalId(stack, cluster.clientSecurityGroup.node.defaultChild as CfnElement);
    const ingress = Object.values(
      template.findResources('AWS::EC2::SecurityGroupIngress') as Record<string, Resource>,
    ).map((r) => r.Properties);
    const source = (rule: Record<string, unknown>) =>
      (rule.SourceSecurityGroupId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    expect(
      ingress
        .filter((rule) => source(rule) === nodeGroup)
        .map((rule) => rule.FromPort)
        .sort(),
    ).toEqual([9000, 9009, 9181, 9234]);
    expect(
      ingress.filter((rule) => source(rule) === clientGroup).map((rule) => [rule.FromPort, rule.ToPort]),
    ).toEqual([[CLICKHOUSE_PORTS.http, CLICKHOUSE_PORTS.http]]);
    for (const rule of ingress) {
      expect(rule.GroupId).toEqual({ 'Fn::GetAtt': [nodeGroup, 'GroupId'] });
      expect(rule.CidrIp).toBeUndefined();
      expect(rule.FromPort).not.toBe(22);
    }
    const groups = template.findResources('AWS::EC2::SecurityGroup') as Record<string, Resource>;
    for (const group of Object.values(groups)) expect(group.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('names every node in a private zone, on an interface in a private subnet, replicas of a shard in different zones', () => {
    template.hasResourceProperties('AWS::Route53::HostedZone', {
      Name: `${ZONE}.`,
      VPCs: [Match.objectLike({ VPCId: { Ref: Match.stringLikeRegexp('^Vpc') } })],
    });
    const records = Object.values(
      template.findResources('AWS::Route53::RecordSet') as Record<string, Resource>,
    );
    const names = records.map((r) => r.Properties.Name).sort();
    const expected = [
      ...dataNodes(shape).map((n) => `${dataNodeName(n)}.${ZONE}.`),
      ...Array.from({ length: shape.keeperNodes }, (_, k) => `keeper${k + 1}.${ZONE}.`),
      `${ZONE}.`,
    ].sort();
    expect(names).toEqual(expected);
    const apex = records.find((r) => r.Properties.Name === `${ZONE}.`);
    expect(apex?.Properties.ResourceRecords).toHaveLength(nodes);
    expect(cluster.url).toBe(`http://${ZONE}:8123`);

    const interfaces = template.findResources('AWS::EC2::NetworkInterface') as Record<string, Resource>;
    const subnetOf = (instanceId: string) => {
      const attached = instances[instanceId]?.Properties.NetworkInterfaces as
        | { NetworkInterfaceId: { Ref: string } }[]
        | undefined;
      const eni = attached?.[0];
      return JSON.stringify(interfaces[eni?.NetworkInterfaceId.Ref ?? '']?.Properties.SubnetId);
    };
    for (const id of [...dataIds, ...keeperIds]) expect(subnetOf(id)).toMatch(/VpcPrivateSubnet/);
    dataNodes(shape).forEach((node, i) => {
      const peer = dataNodes(shape).findIndex((n) => n.shard === node.shard && n.replica !== node.replica);
      if (peer >= 0) expect(subnetOf(dataIds[i] ?? '')).not.toBe(subnetOf(dataIds[peer] ?? ''));
    });
    if (nodes > 1) expect(new Set(dataIds.map(subnetOf)).size).toBe(2);
  });

  it('creates the records before the instances, and the instances wait for their own signal', () => {
    const recordIds = Object.keys(template.findResources('AWS::Route53::RecordSet'));
    for (const instance of Object.values(instances)) {
      expect(instance.DependsOn).toEqual(expect.arrayContaining(recordIds));
      expect(instance.CreationPolicy).toEqual({ ResourceSignal: { Timeout: 'PT45M' } });
    }
  });

  it('migrates after every node signalled, carrying the migration files and their hash', async () => {
    const [resource] = Object.values(
      template.findResources('Custom::ClickHouseMigrations') as Record<string, Resource>,
    );
    expect(resource?.DependsOn).toEqual(expect.arrayContaining([...dataIds, ...keeperIds]));
    const files = await loadMigrations();
    expect(resource?.Properties.MigrationsSha256).toBe(migrationsHash(files));
    expect(resource?.Properties.Cluster).toBe(shape.keeperNodes > 0 ? 'evalforge' : '');
    expect(resource?.Properties.Nodes).toBe(dataNodes(shape).map(dataNodeName).join(','));
    expect(resource?.Properties.Migrations).toEqual(
      files.map((m) => ({ Version: String(m.version), Name: m.name, Sql: m.sql })),
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          CLICKHOUSE_URL: `http://s1r1.${ZONE}:8123`,
          CLICKHOUSE_NODE_URLS: dataNodes(shape)
            .map((n) => `http://${dataNodeName(n)}.${ZONE}:8123`)
            .join(','),
          CLICKHOUSE_USER: 'evalforge_admin',
        }),
      },
      VpcConfig: Match.objectLike({
        SecurityGroupIds: [
          {
            'Fn::GetAtt': [
              logicalId(stack, cluster.clientSecurityGroup.node.defaultChild as CfnElement),
              'GroupId',
            ],
          },
        ],
      }),
    });
  });

  it('renders a server config that names every shard, replica and Keeper node', () => {
    for (const node of dataNodes(shape)) {
      const xml = renderServerConfig(layout, node, { listenHost: '10.0.1.5', clusterSecret: 's3cret' });
      expect(xml.match(/<shard>\n/g)).toHaveLength(shape.shards);
      expect(xml.match(/<internal_replication>true<\/internal_replication>/g)).toHaveLength(shape.shards);
      for (const peer of dataNodes(shape))
        expect(xml).toContain(`<host>${dataNodeName(peer)}.${ZONE}</host>`);
      expect(xml.match(/<replica>\s*<host>/g)).toHaveLength(nodes);
      for (let k = 1; k <= shape.keeperNodes; k++) expect(xml).toContain(`<host>keeper${k}.${ZONE}</host>`);
      expect(xml.includes('<zookeeper>')).toBe(shape.keeperNodes > 0);
      expect(xml).toContain(`<shard>${node.shard}</shard>\n        <replica>${dataNodeName(node)}</replica>`);
      expect(xml).toContain('<listen_host>10.0.1.5</listen_host>');
      expect(xml).toContain('<secret>s3cret</secret>');
    }
  });

  it('renders a Keeper raft config with server ids 1..N by name', () => {
    for (let id = 1; id <= shape.keeperNodes; id++) {
      const xml = renderKeeperConfig(layout, id, { listenHost: '10.0.2.7' });
      expect(xml).toContain(`<server_id>${id}</server_id>`);
      const servers = [
        ...xml.matchAll(/<id>(\d+)<\/id>\s*<hostname>([^<]+)<\/hostname>\s*<port>9234<\/port>/g),
      ];
      expect(servers.map((m) => [Number(m[1]), m[2]])).toEqual(
        Array.from({ length: shape.keeperNodes }, (_, k) => [k + 1, `keeper${k + 1}.${ZONE}`]),
      );
    }
  });

  it('renders user data that stays well within the 16 KB EC2 limit and waits for every peer name', () => {
    const signal = { stackName: 'Analytics', logicalId: 'ClickHouseShard1Replica1', region: 'eu-west-1' };
    const script = renderNodeUserData({
      layout,
      node: { shard: shape.shards, replica: shape.replicas },
      region: 'eu-west-1',
      volumeId: 'vol-0123456789abcdef0',
      secrets: { loader: 'arn:l', query: 'arn:q', admin: 'arn:a', cluster: 'arn:c' },
      clientNetworks: ['10.0.0.0/16'],
      signal,
    });
    expect(Buffer.byteLength(script)).toBeLessThan(12_000);
    const waitLine = script.split('\n').find((l) => l.startsWith('for host in')) ?? '';
    for (const peer of dataNodes(shape)) expect(waitLine).toContain(`${dataNodeName(peer)}.${ZONE}`);
    for (let k = 1; k <= shape.keeperNodes; k++) expect(waitLine).toContain(`keeper${k}.${ZONE}`);
  });
});

describe('ClickHouseCluster across shapes', () => {
  it('keeps the logical IDs of Shard1Replica1, its data volume and interface, and the secrets, in every shape', () => {
    const ids = SHAPES.map((shape) => {
      const { stack, cluster } = build(shape);
      const first = cluster.instances[0];
      const volume = cluster.dataVolumes[0];
      if (!first || !volume) throw new Error('no first node');
      return {
        instance: logicalId(stack, first.instance),
        volume: logicalId(stack, volume.node.defaultChild as CfnElement),
        interface: logicalId(stack, cluster.node.findChild('Shard1Replica1Interface') as CfnElement),
        secrets: [cluster.loaderPassword, cluster.queryPassword, cluster.adminPassword].map((s) =>
          logicalId(stack, s.node.defaultChild as CfnElement),
        ),
      };
    });
    expect(ids[0]?.instance).toMatch(/^ClickHouseShard1Replica1[0-9A-F]{8}$/);
    expect(ids[0]?.volume).toMatch(/^ClickHouseShard1Replica1Data[0-9A-F]{8}$/);
    for (const id of ids) expect(id).toEqual(ids[0]);
  });
});

describe('ClickHouseCluster users', () => {
  const xml = renderUsersConfig({
    database: 'default',
    clientNetworks: ['10.0.0.0/16'],
    passwordSha256: { loader: 'aa11', query: 'bb22', admin: 'cc33' },
  });
  const user = (name: string) =>
    new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml.split('<users>')[1] ?? '')?.[1] ?? '';

  it('lets the loader insert and read, from the VPC, with its password hash', () => {
    expect(user('evalforge_loader')).toContain('<password_sha256_hex>aa11</password_sha256_hex>');
    expect(user('evalforge_loader')).toContain('<query>GRANT SELECT, INSERT ON default.*</query>');
    expect(user('evalforge_loader')).toContain('<ip>10.0.0.0/16</ip>');
  });

  it('lets the query API read only, in a read-only profile', () => {
    expect(user('evalforge_query')).toContain('<password_sha256_hex>bb22</password_sha256_hex>');
    expect(user('evalforge_query').match(/<query>/g)).toHaveLength(1);
    expect(user('evalforge_query')).toContain('<query>GRANT SELECT ON default.*</query>');
    expect(user('evalforge_query')).toContain('<profile>evalforge_query</profile>');
    expect(xml).toMatch(/<evalforge_query>\s*<profile>default<\/profile>\s*<readonly>2<\/readonly>/);
  });

  it('gives the admin user DDL on the database and ON CLUSTER, and keeps default on localhost', () => {
    expect(user('evalforge_admin')).toContain('<query>GRANT ALL ON default.*</query>');
    expect(user('evalforge_admin')).toContain('<query>GRANT CLUSTER ON *.*</query>');
    expect(user('default')).toMatch(
      /<networks replace="replace">\s*<ip>::1<\/ip>\s*<ip>127\.0\.0\.1<\/ip>\s*<\/networks>/,
    );
    expect(xml).not.toMatch(/<password>/);
  });

  it('renders Keeper user data that installs clickhouse-keeper and waits for the quorum peers', () => {
    const script = renderKeeperUserData({
      layout: { clusterName: 'evalforge', domainName: ZONE, shards: 3, replicas: 1, keeperNodes: 3 },
      serverId: 2,
      signal: { stackName: 'Analytics', logicalId: 'ClickHouseKeeper2', region: 'eu-west-1' },
      clickhouseVersion: '25.8.2.29',
    });
    expect(script).toContain('dnf install -y clickhouse-keeper-25.8.2.29');
    expect(script).toContain('<server_id>2</server_id>');
    expect(script).toContain("--resource 'ClickHouseKeeper2'");
    expect(script).toContain(`for host in keeper1.${ZONE} keeper2.${ZONE} keeper3.${ZONE}; do`);
  });
});

describe('ClickHouseCluster props', () => {
  const base = SHAPES[1] as Shape;
  it.each<[string, Partial<ClickHouseClusterProps>, RegExp]>([
    ['no shard', { shards: 0 }, /^shards must be an integer ≥ 1, got 0$/],
    ['a fractional replica count', { replicas: 1.5 }, /^replicas must be an integer/],
    [
      'replicas without Keeper',
      { replicas: 2, keeperNodes: 0 },
      /^replicas 2 needs ClickHouse Keeper.*keeperNodes/,
    ],
    [
      'shards without Keeper',
      { shards: 3, keeperNodes: 0 },
      /^shards 3 needs ClickHouse Keeper.*keeperNodes/,
    ],
    ['an even Keeper count', { keeperNodes: 2 }, /^keeperNodes must be 0 or odd/],
    ['a volume over gp3’s size', { volumeGiB: 70_000 }, /^volumeGiB must be an integer 1–65536, got 70000$/],
    ['IOPS under gp3’s baseline', { volumeIops: 2_000 }, /^volumeIops must be an integer 3000–80000/],
    [
      'IOPS over 500 per GiB',
      { volumeGiB: 10, volumeIops: 6_000 },
      /^volumeIops 6000 exceeds .* volumeGiB 10$/,
    ],
    [
      'throughput over 0.25 MiB/s per IOPS',
      { volumeThroughputMiBps: 1_000, volumeIops: 3_000 },
      /^volumeThroughputMiBps 1000 exceeds .* volumeIops 3000$/,
    ],
    [
      'throughput over gp3’s maximum',
      { volumeThroughputMiBps: 2_500, volumeIops: 16_000 },
      /^volumeThroughputMiBps must be/,
    ],
    ['an arm64 instance type', { instanceType: 'c7g.4xlarge' }, /^instanceType c7g\.4xlarge is arm64/],
    ['an arm64 Keeper type', { keeperInstanceType: 't4g.small' }, /^keeperInstanceType t4g\.small is arm64/],
    ['a cluster name SQL cannot name', { clusterName: 'eval-forge' }, /^clusterName must match/],
    ['a version that is not a release', { clickhouseVersion: 'latest' }, /^clickhouseVersion must be/],
  ])('rejects %s', (_, override, message) => {
    expect(() => build({ ...base, ...override })).toThrow(ClickHouseClusterPropsError);
    expect(() => build({ ...base, ...override })).toThrow(message);
  });

  it('rejects migration files out of sequence at synth time', () => {
    expect(readMigrations().map((m) => m.version)).toEqual([1, 2, 3, 4, 5]);
    const dir = mkdtempSync(join(tmpdir(), 'clickhouse-migrations-'));
    try {
      writeFileSync(join(dir, '0001_first.sql'), 'SELECT 1;');
      writeFileSync(join(dir, '0003_third.sql'), 'SELECT 3;');
      expect(() => readMigrations(dir)).toThrow('migration file 0003_third.sql must be named 0002_name.sql');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ClickHouseCluster and cdk-nag', () => {
  it.each(SHAPES)('has no unacknowledged AwsSolutions findings ($label)', (shape) => {
    const { app } = build(shape, { nag: true });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('ClickHouseCluster bundling', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'clickhouse-cluster-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles the migration function with the local esbuild, without chDB', () => {
    const { app, stack, cluster } = build(SHAPES[0] as Shape, { outdir });
    const assembly = app.synth();
    const fn = cluster.node.findChild('MigrationFunction').node.defaultChild as CfnElement;
    const code = Template.fromStack(stack).toJSON().Resources[logicalId(stack, fn)].Properties.Code;
    const bundle = join(assembly.directory, `asset.${String(code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    expect(statSync(bundle).size).toBeLessThan(5 * 1024 * 1024);
    const text = readFileSync(bundle, 'utf8');
    expect(text).not.toMatch(/chdb/);
    expect(text).toContain('schema_migrations');
  }, 60_000);
});
