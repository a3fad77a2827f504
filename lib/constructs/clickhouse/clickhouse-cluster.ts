import {
  Aws,
  type CustomResource,
  Duration,
  Lazy,
  RemovalPolicy,
  Size,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import {
  BlockDeviceVolume,
  CfnNetworkInterface,
  EbsDeviceVolumeType,
  HttpTokens,
  Instance,
  InstanceType,
  MachineImage,
  MultipartBody,
  MultipartUserData,
  OperatingSystemType,
  Port,
  SecurityGroup,
  SubnetType,
  UserData,
  Volume,
} from 'aws-cdk-lib/aws-ec2';
import { type IRole, ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ARecord, type IPrivateHostedZone, PrivateHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EVERY_BOOT, renderKeeperUserData, renderNodeUserData, type SignalTarget } from './boot-script.js';
import { addCertificatesResource } from './certificates.js';
import {
  CLICKHOUSE_PORTS,
  dataNodeName,
  dataNodes,
  fqdn,
  httpsUrl,
  keeperNodeName,
  keeperServerIds,
} from './cluster-layout.js';
import { ColdStorage } from './cold-storage.js';
import { addMigrationsResource } from './migration.js';
import { managedPolicyFinding } from './nag-findings.js';
import {
  type ClickHouseClusterProps,
  ClickHouseClusterPropsError,
  clusterLayout,
  validateClusterProps,
} from './props.js';
import { CLICKHOUSE_USERS } from './users-config.js';

/** The data volume's device name in the instance's mapping; Nitro exposes it as NVMe (see the user data). */
const DATA_DEVICE = '/dev/sdf';
const AL2023_X86_64 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

/**
 * ClickHouse on EC2: `shards × replicas` data nodes and, for a replicated cluster, `keeperNodes`
 * ClickHouse Keeper nodes, in the VPC's private subnets, spread over its availability zones.
 *
 * - **Nodes.** Amazon Linux 2023 x86_64, IMDSv2 only, no SSH key and no SSH port (Session Manager
 *   through `AmazonSSMManagedInstanceCore`), detailed monitoring. Each data node keeps its data on
 *   its own encrypted gp3 volume (retained when the stack or the node goes), mounted at
 *   /var/lib/clickhouse and formatted only when blank. Construct ids name the node, not the tier
 *   (`Shard1Replica1`, `Shard1Replica1Data`), so a node keeps its logical ID when the tier grows;
 *   an instance type or configuration change is a stop/start, never a replacement.
 * - **Names.** A private hosted zone with one A record per node (`s1r1`, `keeper1`, …) on a network
 *   interface created before the instance, so every node's configuration names the others and the
 *   records exist before any node starts. The zone apex lists every data node: {@link url}.
 * - **Configuration** is rendered at synth time (server-config.ts, users-config.ts, keeper-config.ts)
 *   into user data (boot-script.ts) that runs at every boot, installs ClickHouse from
 *   packages.clickhouse.com, reads the passwords from Secrets Manager and signals CloudFormation
 *   once the server answers: anything that depends on this construct waits for a running cluster.
 * - **Auth.** Users `evalforge_loader` (SELECT, INSERT), `evalforge_query` (SELECT, read-only) and
 *   `evalforge_admin` (DDL, used by the migrations), each with a generated password in its own
 *   secret, stored on the nodes as SHA-256; `default` answers on localhost only. Nodes talk to each
 *   other with a generated cluster secret (Distributed queries carry the initial user).
 * - **Transport: TLS everywhere inside the VPC.** A custom resource (certificates.ts,
 *   functions/certificates) issues the cluster's own CA and a certificate per node at deploy, into
 *   Secrets Manager; each node's role reads its own key and certificate and the CA certificate,
 *   nothing else of it, and the nodes boot after the resource. Clients reach HTTPS on 8443 and
 *   verify the node against the CA ({@link caCertificate}, passed to the functions in
 *   `CLICKHOUSE_CA_CERT`); nodes talk to each other on the secure native port (9440) and
 *   interserver HTTPS (9010), to Keeper on its secure client port (9281), and Keeper nodes run raft
 *   over TLS (9234), each verifying its peer against the CA. Plain HTTP is not served; the plain
 *   native and Keeper client ports remain for the node's own tools and checks, and no security
 *   group admits them. Only {@link clientSecurityGroup} reaches 8443; the inter-node ports are
 *   open only among the nodes. A new `certificateGeneration` re-issues everything (rotation).
 * - **Cold storage.** Every data node has an S3 disk (storage-config.ts) on its own prefix,
 *   `clickhouse/<node>/`, of one bucket (cold-storage.ts; encrypted, TLS only, no public access, no
 *   versioning, retained), behind a `coldCacheGiB` cache on its data volume; the role of the data
 *   nodes may read, write, delete and list under `clickhouse/` only. Parts move there at the
 *   retention's `hotDays` (the `tiered` policy's `cold` volume) or when the volume runs short.
 * - **Migrations** run at deploy: a custom resource (migration.ts) runs clickhouse/migrate.ts against
 *   the cluster as `evalforge_admin` after every node has signalled, and again whenever a migration
 *   file changes or nodes are added (new nodes get every table). Every tier has Keeper (tiers 1–2
 *   are one shard of one replica beside three Keeper nodes), so a tier change keeps the tables; a
 *   move between a cluster without Keeper and one with it fails the deployment: the tables differ
 *   and this construct does not move data. The same resource then applies `retention`
 *   (clickhouse/retention.ts: storage policy, TTL moves, deletes, column and rollup TTLs) by
 *   `ALTER TABLE`, again whenever it changes (a tier change): tables are altered, never recreated.
 *
 * Growing a cluster adds nodes and rewrites every node's configuration; CloudFormation then stops
 * and starts the existing nodes (in parallel), so plan the change for a quiet hour. Data already on
 * the shards is not moved: new shards receive new rows only.
 */
export class ClickHouseCluster extends Construct {
  /**
   * `https://<domainName>:8443`: a name listing every data node, and named in every data node's
   * certificate. Any node answers the query API's reads (Distributed tables), so clients need no
   * node of their own; a kept-alive connection stays on the node it resolved to, and Lambda
   * containers spread over the nodes.
   */
  readonly url: string;
  /**
   * Each shard's data nodes, `https://s<shard>r<replica>.<domainName>:8443`, shards in the order
   * of `remote_servers` (the order the Distributed tables number them), replicas in order: the
   * loader's `CLICKHOUSE_SHARD_URLS`, so it inserts each project's rows on the shard that owns it.
   */
  readonly shardUrls: readonly (readonly string[])[];
  /** Put the clients (the loader and query functions) in it; only it reaches the HTTPS port. */
  readonly clientSecurityGroup: SecurityGroup;
  /** The nodes' own group: ClickHouse's inter-node ports among its members only. */
  readonly nodeSecurityGroup: SecurityGroup;
  /** The loader's password (a plain string, as functions/shared/clickhouse/env.ts reads it). */
  readonly loaderPassword: ISecret;
  /** The query API's password. */
  readonly queryPassword: ISecret;
  /** The admin user's password: migrations and operators. */
  readonly adminPassword: ISecret;
  /** The health function's password: its user reads a few system tables only. */
  readonly monitorPassword: ISecret;
  /** Data nodes, shard by shard (`s1r1`, `s1r2`, `s2r1`, …). */
  readonly instances: Instance[];
  /** Their data volumes, in the same order. */
  readonly dataVolumes: Volume[];
  /** Keeper nodes (none when `keeperNodes` is 0). */
  readonly keeperInstances: Instance[];
  /** The `remote_servers` cluster name the migrations use. */
  readonly clusterName: string;
  /** The private zone with the nodes' names. */
  readonly hostedZone: IPrivateHostedZone;
  /** The custom resource that applies the migrations; depend on it to wait for the schema. */
  readonly migrations: CustomResource;
  /** The custom resource that issues the CA and the node certificates; every node depends on it. */
  readonly certificates: CustomResource;
  /**
   * The cluster's CA certificate, DER in base64 (a token, public): what clients verify the nodes
   * against; set it as their `CLICKHOUSE_CA_CERT`.
   */
  readonly caCertificate: string;
  /** The bucket behind the data nodes' S3 disk (`clickhouse/<node>/`), retained like the volumes. */
  readonly coldBucket: Bucket;

  constructor(scope: Construct, id: string, props: ClickHouseClusterProps) {
    super(scope, id);
    validateClusterProps(props);
    const stack = Stack.of(this);
    const layout = clusterLayout(props);
    this.clusterName = layout.clusterName;
    const selection = props.vpc.selectSubnets(
      props.vpcSubnets ?? { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
    );
    if (selection.subnets.length === 0) {
      throw new ClickHouseClusterPropsError(
        'vpcSubnets selects no subnet; the nodes need private subnets with egress',
      );
    }
    const subnetAt = (index: number) => {
      const subnet = selection.subnets[index % selection.subnets.length];
      if (!subnet) throw new Error(`no subnet at ${index}`);
      return subnet;
    };

    this.nodeSecurityGroup = new SecurityGroup(this, 'NodeSecurityGroup', {
      vpc: props.vpc,
      description: 'ClickHouse and Keeper nodes: inter-node TLS ports among themselves, HTTPS from clients',
      allowAllOutbound: true,
    });
    this.clientSecurityGroup = new SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: props.vpc,
      description: 'Clients of ClickHouse: the only source allowed to its HTTPS port',
      allowAllOutbound: true,
    });
    const nodePorts: [number, string][] = [
      [
        CLICKHOUSE_PORTS.nativeSecure,
        'ClickHouse native protocol over TLS between nodes (Distributed queries and inserts)',
      ],
      [CLICKHOUSE_PORTS.interserverHttps, 'ClickHouse interserver HTTPS (replica fetches)'],
      [CLICKHOUSE_PORTS.keeperClientSecure, 'ClickHouse Keeper client port, TLS'],
      [CLICKHOUSE_PORTS.keeperRaft, 'ClickHouse Keeper raft, TLS'],
    ];
    for (const [port, description] of nodePorts) {
      this.nodeSecurityGroup.addIngressRule(this.nodeSecurityGroup, Port.tcp(port), description);
    }
    this.nodeSecurityGroup.addIngressRule(
      this.clientSecurityGroup,
      Port.tcp(CLICKHOUSE_PORTS.https),
      'ClickHouse HTTPS from its clients',
    );

    const password = (name: string, description: string) => {
      const secret = new Secret(this, name, {
        description,
        generateSecretString: { passwordLength: 40, excludePunctuation: true },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SMG4',
        reason:
          'The nodes read the passwords at boot and keep their hashes in users.d; rotation would need a rotation function that rewrites every node. Rotate by updating the secret and restarting the nodes.',
      });
      return secret;
    };
    this.loaderPassword = password('LoaderPassword', `ClickHouse user ${CLICKHOUSE_USERS.loader}`);
    this.queryPassword = password('QueryPassword', `ClickHouse user ${CLICKHOUSE_USERS.query}`);
    this.adminPassword = password('AdminPassword', `ClickHouse user ${CLICKHOUSE_USERS.admin}`);
    this.monitorPassword = password('MonitorPassword', `ClickHouse user ${CLICKHOUSE_USERS.monitor}`);
    const clusterSecret = password('ClusterSecret', 'ClickHouse inter-server secret');

    const cold = new ColdStorage(this, 'ColdStorage');
    this.coldBucket = cold.bucket;

    this.hostedZone = new PrivateHostedZone(this, 'Zone', { zoneName: layout.domainName, vpc: props.vpc });
    // An interface per node, created before its instance: its address is known to the records
    // before any node boots (ClickHouse will not start while a peer's name does not resolve).
    const place = (nodeId: string, label: string, subnetIndex: number) => {
      const eni = new CfnNetworkInterface(this, `${nodeId}Interface`, {
        subnetId: subnetAt(subnetIndex).subnetId,
        groupSet: [this.nodeSecurityGroup.securityGroupId],
        description: `ClickHouse ${nodeId}`,
      });
      const record = new ARecord(this, `${nodeId}Record`, {
        zone: this.hostedZone,
        recordName: label,
        target: RecordTarget.fromIpAddresses(eni.attrPrimaryPrivateIpAddress),
        ttl: Duration.seconds(60),
      });
      return { nodeId, subnetIndex, eni, record };
    };
    const data = dataNodes(layout).map((node) => ({
      node,
      // Replicas of a shard in different zones; replica 1 of shard s always in the same one.
      ...place(
        `Shard${node.shard}Replica${node.replica}`,
        dataNodeName(node),
        node.shard - 1 + node.replica - 1,
      ),
    }));
    const keepers = keeperServerIds(layout).map((serverId) => ({
      serverId,
      ...place(`Keeper${serverId}`, keeperNodeName(serverId), serverId - 1),
    }));
    const clusterRecord = new ARecord(this, 'ClusterRecord', {
      zone: this.hostedZone,
      target: RecordTarget.fromIpAddresses(...data.map((d) => d.eni.attrPrimaryPrivateIpAddress)),
      ttl: Duration.seconds(60),
    });
    const records = [...data.map((d) => d.record), ...keepers.map((k) => k.record), clusterRecord];

    const generation = props.certificateGeneration ?? 1;
    const certificates = addCertificatesResource(this, {
      caName: `EvalForge ClickHouse CA (${layout.domainName})`,
      generation,
      nodes: [
        // A data node answers to its own name and to the cluster's, which lists every data node.
        ...data.map((d) => ({
          nodeId: d.nodeId,
          name: dataNodeName(d.node),
          dnsNames: [fqdn(layout, dataNodeName(d.node)), layout.domainName],
        })),
        ...keepers.map((k) => ({
          nodeId: k.nodeId,
          name: keeperNodeName(k.serverId),
          dnsNames: [fqdn(layout, keeperNodeName(k.serverId))],
        })),
      ],
    });
    this.certificates = certificates.resource;
    this.caCertificate = certificates.caCertificate;
    // A role per node: each reads its own key and certificate, and the CA certificate.
    const tlsOf = (nodeId: string, role: IRole) => {
      const nodeSecret = certificates.nodeSecrets.get(nodeId);
      if (!nodeSecret) throw new Error(`no certificate secret for ${nodeId}`);
      nodeSecret.grantRead(role);
      certificates.caCertificateSecret.grantRead(role);
      return {
        nodeSecretArn: nodeSecret.secretArn,
        caSecretArn: certificates.caCertificateSecret.secretArn,
        generation: String(generation),
      };
    };

    const instance = (
      nodeId: string,
      subnetIndex: number,
      eni: CfnNetworkInterface,
      instanceType: string,
      role: IRole,
      script: (signal: SignalTarget) => string,
    ) => {
      const shell = UserData.forLinux();
      const userData = new MultipartUserData();
      userData.addPart(
        MultipartBody.fromRawBody({ contentType: 'text/cloud-config; charset="utf-8"', body: EVERY_BOOT }),
      );
      // As text, not base64: EC2 caps user data at 16 KB and the largest tier's script is ~10 KB.
      userData.addPart(
        MultipartBody.fromRawBody({
          contentType: 'text/x-shellscript; charset="utf-8"',
          body: Lazy.string({ produce: () => shell.render() }),
        }),
      );
      const node = new Instance(this, nodeId, {
        vpc: props.vpc,
        vpcSubnets: { subnets: [subnetAt(subnetIndex)] },
        securityGroup: this.nodeSecurityGroup,
        instanceType: new InstanceType(instanceType),
        // Resolved by EC2 at launch from the public SSM parameter: no lookup at synth (the synth
        // stays offline) and no template parameter; a newer AMI applies to new nodes only and never
        // replaces a running one.
        machineImage: MachineImage.resolveSsmParameterAtLaunch(AL2023_X86_64, {
          os: OperatingSystemType.LINUX,
        }),
        userData,
        role,
        // IMDSv2 only, on the instance itself (`requireImdsv2` would add a launch template whose
        // fixed name collides between two stacks of the same account and region).
        httpTokens: HttpTokens.REQUIRED,
        detailedMonitoring: true,
        blockDevices: [
          {
            deviceName: '/dev/xvda',
            volume: BlockDeviceVolume.ebs(props.rootVolumeGiB ?? 30, {
              encrypted: true,
              volumeType: EbsDeviceVolumeType.GP3,
            }),
          },
        ],
        resourceSignalTimeout: Duration.minutes(45),
      });
      // The node's address is its pre-created interface (see above).
      const cfn = node.instance;
      cfn.subnetId = undefined;
      cfn.securityGroupIds = undefined;
      cfn.networkInterfaces = [{ deviceIndex: '0', networkInterfaceId: eni.ref }];
      // Its certificate is in its secret before it boots.
      node.node.addDependency(selection.internetConnectivityEstablished, ...records, certificates.resource);
      shell.addCommands(
        script({ stackName: Aws.STACK_NAME, logicalId: stack.getLogicalId(cfn), region: Aws.REGION }),
      );
      Validations.of(node).acknowledge({
        id: 'CloudFormation-Validate::E1152',
        reason:
          'The image id is `resolve:ssm:<public AL2023 parameter>`, which EC2 resolves at launch; the format check expects a literal ami-… id.',
      });
      Validations.of(node).acknowledge({
        id: 'AwsSolutions::AwsSolutions-EC29',
        reason:
          'Termination protection would block stack deletion and tier changes; a data node keeps its data on a separate retained volume, and Keeper tolerates the loss of a minority.',
      });
      return node;
    };

    this.instances = [];
    this.dataVolumes = [];
    for (const d of data) {
      const volume = new Volume(this, `${d.nodeId}Data`, {
        availabilityZone: subnetAt(d.subnetIndex).availabilityZone,
        size: Size.gibibytes(props.volumeGiB),
        volumeType: EbsDeviceVolumeType.GP3,
        iops: props.volumeIops,
        throughput: props.volumeThroughputMiBps,
        encrypted: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const nodeRole = this.instanceRole(
        `${d.nodeId}Role`,
        `ClickHouse ${dataNodeName(d.node)}: Session Manager, password secrets, its certificate, the S3 disk`,
      );
      for (const secret of [
        this.loaderPassword,
        this.queryPassword,
        this.adminPassword,
        this.monitorPassword,
        clusterSecret,
      ]) {
        secret.grantRead(nodeRole);
      }
      cold.grantNodes(nodeRole);
      const tls = tlsOf(d.nodeId, nodeRole);
      const node = instance(d.nodeId, d.subnetIndex, d.eni, props.instanceType, nodeRole, (signal) =>
        renderNodeUserData({
          layout,
          node: d.node,
          region: Aws.REGION,
          volumeId: volume.volumeId,
          secrets: {
            loader: this.loaderPassword.secretArn,
            query: this.queryPassword.secretArn,
            admin: this.adminPassword.secretArn,
            monitor: this.monitorPassword.secretArn,
            cluster: clusterSecret.secretArn,
          },
          clientNetworks: [props.vpc.vpcCidrBlock],
          coldStorage: {
            endpoint: cold.endpoint(dataNodeName(d.node)),
            region: stack.region,
            cacheGiB: props.coldCacheGiB,
          },
          tls,
          signal,
          ...(props.clickhouseVersion ? { clickhouseVersion: props.clickhouseVersion } : {}),
        }),
      );
      // Attached as the instance launches, so the volume is there before the signal is due.
      node.instance.volumes = [{ device: DATA_DEVICE, volumeId: volume.volumeId }];
      this.instances.push(node);
      this.dataVolumes.push(volume);
    }
    this.keeperInstances = keepers.map((k) => {
      const keeperRole = this.instanceRole(
        `${k.nodeId}Role`,
        `ClickHouse ${keeperNodeName(k.serverId)}: Session Manager, its certificate`,
      );
      const tls = tlsOf(k.nodeId, keeperRole);
      return instance(k.nodeId, k.subnetIndex, k.eni, props.keeperInstanceType, keeperRole, (signal) =>
        renderKeeperUserData({
          layout,
          serverId: k.serverId,
          region: Aws.REGION,
          tls,
          signal,
          ...(props.clickhouseVersion ? { clickhouseVersion: props.clickhouseVersion } : {}),
        }),
      );
    });

    this.url = httpsUrl(layout.domainName);
    this.shardUrls = Array.from({ length: layout.shards }, (_, s) =>
      dataNodes(layout)
        .filter((node) => node.shard === s + 1)
        .map((node) => httpsUrl(fqdn(layout, dataNodeName(node)))),
    );
    this.migrations = addMigrationsResource(this, {
      layout,
      vpc: props.vpc,
      ...(props.vpcSubnets ? { vpcSubnets: props.vpcSubnets } : {}),
      clientSecurityGroup: this.clientSecurityGroup,
      adminPassword: this.adminPassword,
      caCertificate: this.caCertificate,
      retention: props.retention,
    });
    this.migrations.node.addDependency(...this.instances, ...this.keeperInstances, ...records);
  }

  private instanceRole(id: string, description: string): Role {
    const role = new Role(this, id, {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      description,
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    Validations.of(role).acknowledge({
      id: managedPolicyFinding('AmazonSSMManagedInstanceCore'),
      reason:
        'AmazonSSMManagedInstanceCore is the AWS-maintained minimum for Session Manager, the only way in (no SSH).',
    });
    return role;
  }
}
