import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ClickHouseCluster } from '../../../../lib/constructs/clickhouse/clickhouse-cluster.js';
import {
  CLICKHOUSE_PORTS,
  dataNodeName,
  dataNodes,
} from '../../../../lib/constructs/clickhouse/cluster-layout.js';
import {
  type ClickHouseClusterProps,
  ClickHouseClusterPropsError,
} from '../../../../lib/constructs/clickhouse/props.js';
import { SHAPES, type Shape, ZONE } from './shapes.js';

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly cluster: ClickHouseCluster;
}

/** A bare, environment-agnostic stack, its function not bundled (migration.test.ts bundles it). */
function build(shape: Omit<ClickHouseClusterProps, 'vpc'>, options: { nag?: boolean } = {}): Built {
  const app = new App({
    // As cdk.json: the template validator's findings fail the synth.
    context: { '@aws-cdk/core:validateAgainstDefaultRules': true, 'aws:cdk:bundling-stacks': [] },
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

/** A resolved value as text: `Fn::Join` flattened, references and attributes as `{Ref X}`, `{X.Attr}`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(text).join('');
  const v = value as Record<string, unknown>;
  if (v['Fn::Base64'] !== undefined) return text(v['Fn::Base64']);
  if (v['Fn::Join'] !== undefined) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(text).join(separator);
  }
  if (v.Ref !== undefined) return `{Ref ${String(v.Ref)}}`;
  if (v['Fn::GetAtt'] !== undefined) return `{${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(value);
}

describe.each(SHAPES)('ClickHouseCluster, $label', (shape) => {
  const { stack, cluster } = build(shape);
  const template = Template.fromStack(stack);
  const nodes = shape.shards * shape.replicas;
  const instances = template.findResources('AWS::EC2::Instance') as Record<string, Resource>;
  const dataIds = cluster.instances.map((i) => logicalId(stack, i.instance));
  const keeperIds = cluster.keeperInstances.map((i) => logicalId(stack, i.instance));

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

  const bucketId = logicalId(stack, cluster.coldBucket.node.defaultChild as CfnElement);

  it("keeps the S3 disk's bucket private, TLS-only, SSE-S3, unversioned and retained; aborts stale uploads after a day", () => {
    const buckets = template.findResources('AWS::S3::Bucket') as Record<string, Resource>;
    expect(Object.keys(buckets)).toEqual([bucketId]);
    const bucket = buckets[bucketId];
    expect(bucket?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'abort-incomplete-uploads',
            Status: 'Enabled',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    });
    // ClickHouse deletes the objects of dropped parts; versions would keep billing them.
    expect(bucket?.Properties.VersioningConfiguration).toBeUndefined();
    expect(bucket?.DeletionPolicy).toBe('Retain');
    expect(bucket?.UpdateReplacePolicy).toBe('Retain');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets the data nodes read, write, delete and list objects under clickhouse/ only, and Keeper nothing', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>);
    const s3 = policies.flatMap((policy) => {
      const document = policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] };
      return document.Statement.filter((st) =>
        [st.Action].flat().some((a) => String(a).startsWith('s3:')),
      ).map((st) => ({ roles: policy.Properties.Roles, statement: st }));
    });
    const nodeRoleRef = [
      { Ref: logicalId(stack, cluster.node.findChild('NodeRole').node.defaultChild as CfnElement) },
    ];
    expect(s3.length).toBeGreaterThan(0);
    for (const { roles } of s3) expect(roles).toEqual(nodeRoleRef);
    const actions = s3.flatMap(({ statement }) => [statement.Action].flat());
    for (const action of ['s3:GetObject*', 's3:List*', 's3:PutObject', 's3:Abort*', 's3:DeleteObject*']) {
      expect(actions).toContain(action);
    }
    const objectResources = s3
      .flatMap(({ statement }) => [statement.Resource].flat())
      .map(text)
      .filter((r) => r.includes('/'));
    expect(objectResources.length).toBeGreaterThan(0);
    for (const resource of objectResources) expect(resource).toBe(`{${bucketId}.Arn}/clickhouse/*`);
    for (const { statement } of s3) {
      if ([statement.Action].flat().some((a) => /^s3:(Put|Delete)/.test(String(a)))) {
        expect([statement.Resource].flat().map(text)).toEqual([`{${bucketId}.Arn}/clickhouse/*`]);
      }
    }
  });

  it("writes each data node's S3 disk into config.d, on its own prefix of the bucket, with the cache on the data volume", () => {
    dataNodes(shape).forEach((node, i) => {
      const script = text(instances[dataIds[i] ?? '']?.Properties.UserData);
      expect(script).toContain('cat > /etc/clickhouse-server/config.d/storage.xml <<EVALFORGE_EOF');
      expect(script).toContain(
        `<endpoint>https://{${bucketId}.RegionalDomainName}/clickhouse/${dataNodeName(node)}/</endpoint>`,
      );
      expect(script).toContain('<region>{Ref AWS::Region}</region>');
      expect(script).toContain('<use_environment_credentials>true</use_environment_credentials>');
      expect(script).toContain(`<max_size>${shape.coldCacheGiB * 1024 ** 3}</max_size>`);
      // EC2 refuses user data over 16 KB; the bucket's name is resolved at deploy (~60 bytes more).
      expect(Buffer.byteLength(script)).toBeLessThan(15_000);
    });
    for (const id of keeperIds) expect(text(instances[id]?.Properties.UserData)).not.toContain('storage.xml');
  });

  it("gives the migrations the shape's retention, to apply after them", () => {
    const r = shape.retention;
    template.hasResourceProperties('Custom::ClickHouseMigrations', {
      Retention: {
        HotDays: r.hotDays === null ? '' : String(r.hotDays),
        WarmDays: String(r.warmDays),
        BodiesDays: String(r.bodiesDays),
        MinuteRollupDays: String(r.minuteRollupDays),
        HourRollupDays: String(r.hourRollupDays),
        TtlMergeTimeoutSec: String(r.ttlMergeTimeoutSec),
      },
    });
  });

  it('migrates after every node signalled, from the client group, as the admin user', () => {
    const [resource] = Object.values(
      template.findResources('Custom::ClickHouseMigrations') as Record<string, Resource>,
    );
    expect(resource?.DependsOn).toEqual(expect.arrayContaining([...dataIds, ...keeperIds]));
    expect(resource?.Properties.Cluster).toBe(shape.keeperNodes > 0 ? 'evalforge' : '');
    expect(resource?.Properties.Nodes).toBe(dataNodes(shape).map(dataNodeName).join(','));
    const fn = cluster.node.findChild('MigrationFunction').node.defaultChild as CfnElement;
    const properties = template.toJSON().Resources[logicalId(stack, fn)].Properties;
    expect(properties.VpcConfig.SecurityGroupIds).toEqual([
      {
        'Fn::GetAtt': [
          logicalId(stack, cluster.clientSecurityGroup.node.defaultChild as CfnElement),
          'GroupId',
        ],
      },
    ]);
    expect(properties.Environment.Variables.CLICKHOUSE_PASSWORD_SECRET_ARN).toEqual({
      Ref: logicalId(stack, cluster.adminPassword.node.defaultChild as CfnElement),
    });
  });
});

describe('ClickHouseCluster across shapes', () => {
  it('keeps the logical IDs of Shard1Replica1, its data volume and interface, the secrets and the cold bucket, in every shape', () => {
    const ids = SHAPES.map((shape) => {
      const { stack, cluster } = build(shape);
      const first = cluster.instances[0];
      const volume = cluster.dataVolumes[0];
      if (!first || !volume) throw new Error('no first node');
      return {
        instance: logicalId(stack, first.instance),
        volume: logicalId(stack, volume.node.defaultChild as CfnElement),
        interface: logicalId(stack, cluster.node.findChild('Shard1Replica1Interface') as CfnElement),
        coldBucket: logicalId(stack, cluster.coldBucket.node.defaultChild as CfnElement),
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

describe('ClickHouseCluster props', () => {
  const base = SHAPES[2] as Shape;

  it('rejects props it cannot be built from, naming the prop (props.test.ts has every case)', () => {
    expect(() => build({ ...base, keeperNodes: 2 })).toThrow(ClickHouseClusterPropsError);
    expect(() => build({ ...base, keeperNodes: 2 })).toThrow(/^keeperNodes must be 0 or odd/);
  });

  it('rejects a subnet selection that selects no subnet', () => {
    expect(() => build({ ...base, vpcSubnets: { subnets: [] } })).toThrow(
      /^vpcSubnets selects no subnet; the nodes need private subnets with egress$/,
    );
  });
});

describe('ClickHouseCluster and cdk-nag', () => {
  it.each(SHAPES)('has no unacknowledged AwsSolutions findings ($label)', (shape) => {
    const { app } = build(shape, { nag: true });
    expect(() => app.synth()).not.toThrow();
  });
});
