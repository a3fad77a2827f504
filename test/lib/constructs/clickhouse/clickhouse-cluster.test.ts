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
    // Four users' passwords and the cluster secret; the CA's key, its certificate and one per node
    // (certificates.ts).
    template.resourceCountIs('AWS::SecretsManager::Secret', 5 + 2 + nodes + shape.keeperNodes);
    for (const password of [
      cluster.loaderPassword,
      cluster.queryPassword,
      cluster.adminPassword,
      cluster.monitorPassword,
    ]) {
      expect(
        template.toJSON().Resources[logicalId(stack, password.node.defaultChild as CfnElement)].Properties
          .GenerateSecretString,
      ).toEqual({ ExcludePunctuation: true, PasswordLength: 40 });
    }
  });

  it('opens the inter-node TLS ports among the nodes only and the HTTPS port to the client group only; no plain port, no SSH', () => {
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
    ).toEqual([9010, 9234, 9281, 9440]);
    expect(
      ingress.filter((rule) => source(rule) === clientGroup).map((rule) => [rule.FromPort, rule.ToPort]),
    ).toEqual([[CLICKHOUSE_PORTS.https, CLICKHOUSE_PORTS.https]]);
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
    expect(cluster.url).toBe(`https://${ZONE}:8443`);

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
    const dataRoleRefs = cluster.instances.map((i) => [
      { Ref: logicalId(stack, i.role.node.defaultChild as CfnElement) },
    ]);
    expect(s3.length).toBeGreaterThan(0);
    for (const { roles } of s3) expect(dataRoleRefs).toContainEqual(roles);
    expect(new Set(s3.map(({ roles }) => JSON.stringify(roles))).size).toBe(nodes);
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

  const certificatesId = logicalId(stack, cluster.certificates.node.defaultChild as CfnElement);
  const secretId = (id: string) =>
    logicalId(stack, cluster.node.findChild(id).node.defaultChild as CfnElement);
  const allNodeIds = [...cluster.instances, ...cluster.keeperInstances].map((i) => i.node.id);

  it('issues a certificate per node at deploy, for its name (and the cluster name, for data nodes), into its own secret', () => {
    const resource = template.toJSON().Resources[certificatesId] as Resource;
    expect(resource.Type).toBe('Custom::ClickHouseCertificates');
    expect(resource.Properties).toMatchObject({
      Generation: '1',
      CaName: `EvalForge ClickHouse CA (${ZONE})`,
      CaKeySecretArn: { Ref: secretId('CaKey') },
      CaCertificateSecretArn: { Ref: secretId('CaCertificate') },
    });
    expect(resource.Properties.Nodes).toEqual([
      ...dataNodes(shape).map((n) => ({
        Name: dataNodeName(n),
        DnsNames: [`${dataNodeName(n)}.${ZONE}`, ZONE],
        SecretArn: { Ref: secretId(`Shard${n.shard}Replica${n.replica}Certificate`) },
      })),
      ...Array.from({ length: shape.keeperNodes }, (_, k) => ({
        Name: `keeper${k + 1}`,
        DnsNames: [`keeper${k + 1}.${ZONE}`],
        SecretArn: { Ref: secretId(`Keeper${k + 1}Certificate`) },
      })),
    ]);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----/);
  });

  it('boots every node after its certificate is issued', () => {
    for (const instance of Object.values(instances)) expect(instance.DependsOn).toContain(certificatesId);
  });

  it("lets each node's role read its own key and certificate and the CA certificate, and no other node's", () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>);
    const readable = (roleId: string) =>
      policies
        .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
        .filter((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'))
        .flatMap((st) => [st.Resource].flat().map((r) => (r as { Ref: string }).Ref));
    const certificateSecrets = new Set([
      secretId('CaKey'),
      ...allNodeIds.map((id) => secretId(`${id}Certificate`)),
    ]);
    for (const node of [...cluster.instances, ...cluster.keeperInstances]) {
      const read = readable(logicalId(stack, node.role.node.defaultChild as CfnElement));
      expect(read).toContain(secretId(`${node.node.id}Certificate`));
      expect(read).toContain(secretId('CaCertificate'));
      expect(read.filter((id) => certificateSecrets.has(id))).toEqual([
        secretId(`${node.node.id}Certificate`),
      ]);
    }
  });

  it('lets the certificates function write every certificate secret and read the CA key only', () => {
    const fn = cluster.node.findChild('CertificateFunction') as unknown as {
      role: { node: { defaultChild: CfnElement } };
    };
    const roleId = logicalId(stack, fn.role.node.defaultChild);
    const statements = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
    const refsOf = (action: string) =>
      statements
        .filter((st) => [st.Action].flat().includes(action))
        .flatMap((st) => [st.Resource].flat().map((r) => (r as { Ref: string }).Ref))
        .sort();
    expect(refsOf('secretsmanager:PutSecretValue')).toEqual(
      [
        secretId('CaKey'),
        secretId('CaCertificate'),
        ...allNodeIds.map((id) => secretId(`${id}Certificate`)),
      ].sort(),
    );
    expect(refsOf('secretsmanager:GetSecretValue')).toEqual([secretId('CaKey')]);
    const fnResource =
      template.toJSON().Resources[
        logicalId(stack, (fn as unknown as { node: { defaultChild: CfnElement } }).node.defaultChild)
      ];
    expect(fnResource.Properties.VpcConfig).toBeUndefined();
  });

  it('gives every node its secrets and the generation in its user data, and its key to no one else', () => {
    [...cluster.instances, ...cluster.keeperInstances].forEach((node) => {
      const script = text(instances[logicalId(stack, node.instance)]?.Properties.UserData);
      const dir = cluster.keeperInstances.includes(node) ? 'clickhouse-keeper' : 'clickhouse-server';
      expect(script).toContain(
        `tls /etc/${dir}/tls '{Ref ${secretId(`${node.node.id}Certificate`)}}' '{Ref ${secretId('CaCertificate')}}'`,
      );
      expect(script).toContain("CERTIFICATES_GENERATION='1'");
    });
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
    // Over HTTPS, verifying the nodes against the CA the certificates resource answers.
    expect(properties.Environment.Variables.CLICKHOUSE_URL).toBe(`https://s1r1.${ZONE}:8443`);
    expect(properties.Environment.Variables.CLICKHOUSE_CA_CERT).toEqual({
      'Fn::GetAtt': [certificatesId, 'CaCertificate'],
    });
    expect(stack.resolve(cluster.caCertificate)).toEqual({ 'Fn::GetAtt': [certificatesId, 'CaCertificate'] });
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

describe('ClickHouseCluster certificate generation', () => {
  const shape = SHAPES[1] as Shape;

  it('passes a new generation to the resource and to every node, which then restarts with its new certificate', () => {
    const { stack, cluster } = build({ ...shape, certificateGeneration: 2 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::ClickHouseCertificates', { Generation: '2' });
    for (const node of [...cluster.instances, ...cluster.keeperInstances]) {
      const userData = template.toJSON().Resources[logicalId(stack, node.instance)].Properties.UserData;
      expect(text(userData)).toContain("CERTIFICATES_GENERATION='2'");
    }
  });

  it.each([0, 1.5])('rejects generation %s', (generation) => {
    expect(() => build({ ...shape, certificateGeneration: generation })).toThrow(
      /^certificateGeneration must be a whole number from 1/,
    );
  });
});
