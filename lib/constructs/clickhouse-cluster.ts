import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Aws,
  type CfnElement,
  CustomResource,
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
  InstanceArchitecture,
  InstanceType,
  type IVpc,
  MachineImage,
  MultipartBody,
  MultipartUserData,
  OperatingSystemType,
  Port,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  UserData,
  Volume,
} from 'aws-cdk-lib/aws-ec2';
import { type IRole, ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, type IPrivateHostedZone, PrivateHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { MIGRATIONS_DIR, type Migration } from '../../clickhouse/migrate.js';
import { EvalForgeFunction } from './evalforge-function.js';

/** The ClickHouse users the construct defines; each function connects as its own. */
export const CLICKHOUSE_USERS = {
  /** The loader: INSERT and SELECT on the database. */
  loader: 'evalforge_loader',
  /** The query API: SELECT only, read-only profile. */
  query: 'evalforge_query',
  /** Schema changes: the migrations custom resource, and operators over Session Manager. */
  admin: 'evalforge_admin',
} as const;

export const CLICKHOUSE_PORTS = {
  http: 8123,
  native: 9000,
  interserver: 9009,
  keeperClient: 9181,
  keeperRaft: 9234,
} as const;

/** The database the functions' client uses (functions/shared/clickhouse.ts) and the migrations fill. */
const DATABASE = 'default';
/** The data volume's device name in the instance's mapping; Nitro exposes it as NVMe (see the user data). */
const DATA_DEVICE = '/dev/sdf';
const AL2023_X86_64 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

/** The gp3 limits as EC2 documents them (and aws-cdk-lib's `Volume` checks them). */
export const GP3_LIMITS = {
  minGiB: 1,
  maxGiB: 65_536,
  minIops: 3_000,
  maxIops: 80_000,
  maxIopsPerGiB: 500,
  minThroughputMiBps: 125,
  maxThroughputMiBps: 2_000,
  maxThroughputMiBpsPerIops: 0.25,
} as const;

export class ClickHouseClusterPropsError extends Error {
  override readonly name = 'ClickHouseClusterPropsError';
}

export interface ClickHouseClusterProps {
  /** The VPC; nodes go in its private subnets with egress (the package repository is reached through NAT). */
  readonly vpc: IVpc;
  /** Data node instance type; x86_64 (the AMI is Amazon Linux 2023 x86_64), e.g. `c5.4xlarge`. */
  readonly instanceType: string;
  /** Shards, each a `Distributed` slice by `cityHash64(project_id)`; ≥ 1. */
  readonly shards: number;
  /** Replicas per shard; ≥ 1, and > 1 needs Keeper. */
  readonly replicas: number;
  /** ClickHouse Keeper nodes on their own instances: 0 (a single node) or an odd number (3 for a quorum). */
  readonly keeperNodes: number;
  /** Keeper instance type; x86_64. */
  readonly keeperInstanceType: string;
  /** Each data node's gp3 data volume, GiB (1–65,536). */
  readonly volumeGiB: number;
  /** Its throughput, MiB/s (125–2,000, at most 0.25 per provisioned IOPS). */
  readonly volumeThroughputMiBps: number;
  /** Its IOPS (3,000–80,000, at most 500 per GiB). */
  readonly volumeIops: number;
  /**
   * Where the nodes and the migration function go.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: SubnetSelection;
  /**
   * The `remote_servers` cluster the migrations name in `ON CLUSTER` and `Distributed(...)`.
   * @default 'evalforge'
   */
  readonly clusterName?: string;
  /**
   * The private hosted zone holding one name per node and the cluster's name.
   * @default 'clickhouse.evalforge.internal'
   */
  readonly domainName?: string;
  /**
   * A ClickHouse version to install (`25.8.2.29`) from packages.clickhouse.com. Pin it before a
   * tier grows: a node added later otherwise installs a newer release than its peers.
   * @default - the newest release of the LTS channel when each node first boots
   */
  readonly clickhouseVersion?: string;
  /**
   * The root volume of every node, GiB (the OS, the ClickHouse binaries and its logs; Keeper's
   * coordination log and snapshots on keeper nodes).
   * @default 30
   */
  readonly rootVolumeGiB?: number;
}

/** The cluster's shape, as the config renderers need it. */
export interface ClusterLayout {
  readonly clusterName: string;
  readonly domainName: string;
  readonly shards: number;
  readonly replicas: number;
  readonly keeperNodes: number;
}

/** One data node: its shard and its replica within the shard, both from 1. */
export interface DataNode {
  readonly shard: number;
  readonly replica: number;
}

/** `s2r1`: a data node's DNS label and its `{replica}` macro (unique in the cluster, as Keeper paths need). */
export function dataNodeName(node: DataNode): string {
  return `s${node.shard}r${node.replica}`;
}

/** `keeper2`: a Keeper node's DNS label; its raft server id is the number. */
export function keeperNodeName(id: number): string {
  return `keeper${id}`;
}

/** Every data node, shard by shard. */
export function dataNodes(layout: Pick<ClusterLayout, 'shards' | 'replicas'>): DataNode[] {
  return Array.from({ length: layout.shards }, (_, s) =>
    Array.from({ length: layout.replicas }, (_, r) => ({ shard: s + 1, replica: r + 1 })),
  ).flat();
}

const fqdn = (layout: ClusterLayout, label: string): string => `${label}.${layout.domainName}`;

/** The topology the migrations render for: Replicated engines and `ON CLUSTER` need Keeper. */
export function isReplicatedCluster(layout: Pick<ClusterLayout, 'keeperNodes'>): boolean {
  return layout.keeperNodes > 0;
}

function requireInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}–${max}`;
    throw new ClickHouseClusterPropsError(`${name} must be an integer ${range}, got ${value}`);
  }
}

function requireX86(name: string, type: string): void {
  let architecture: InstanceArchitecture;
  try {
    architecture = new InstanceType(type).architecture;
  } catch (error) {
    throw new ClickHouseClusterPropsError(
      `${name} ${type} is not an instance type: ${(error as Error).message}`,
    );
  }
  if (architecture !== InstanceArchitecture.X86_64) {
    throw new ClickHouseClusterPropsError(
      `${name} ${type} is ${architecture}; the nodes run Amazon Linux 2023 x86_64 (c5, t3, …)`,
    );
  }
}

/** Fails with a message naming the prop on anything the cluster cannot be built from. */
export function validateClusterProps(props: ClickHouseClusterProps): void {
  requireInteger('shards', props.shards, 1);
  requireInteger('replicas', props.replicas, 1);
  requireInteger('keeperNodes', props.keeperNodes, 0);
  if (props.keeperNodes % 2 === 0 && props.keeperNodes > 0) {
    throw new ClickHouseClusterPropsError(
      `keeperNodes must be 0 or odd (a raft quorum of an even count tolerates no more failures than one node fewer), got ${props.keeperNodes}`,
    );
  }
  if (props.keeperNodes === 0 && props.replicas > 1) {
    throw new ClickHouseClusterPropsError(
      `replicas ${props.replicas} needs ClickHouse Keeper for replication: set keeperNodes to 3 (got 0)`,
    );
  }
  if (props.keeperNodes === 0 && props.shards > 1) {
    throw new ClickHouseClusterPropsError(
      `shards ${props.shards} needs ClickHouse Keeper for ON CLUSTER migrations: set keeperNodes to 3 (got 0)`,
    );
  }
  requireX86('instanceType', props.instanceType);
  requireX86('keeperInstanceType', props.keeperInstanceType);
  requireInteger('volumeGiB', props.volumeGiB, GP3_LIMITS.minGiB, GP3_LIMITS.maxGiB);
  requireInteger('volumeIops', props.volumeIops, GP3_LIMITS.minIops, GP3_LIMITS.maxIops);
  requireInteger(
    'volumeThroughputMiBps',
    props.volumeThroughputMiBps,
    GP3_LIMITS.minThroughputMiBps,
    GP3_LIMITS.maxThroughputMiBps,
  );
  if (props.volumeIops > props.volumeGiB * GP3_LIMITS.maxIopsPerGiB) {
    throw new ClickHouseClusterPropsError(
      `volumeIops ${props.volumeIops} exceeds gp3's ${GP3_LIMITS.maxIopsPerGiB} IOPS per GiB of volumeGiB ${props.volumeGiB}`,
    );
  }
  if (props.volumeThroughputMiBps > props.volumeIops * GP3_LIMITS.maxThroughputMiBpsPerIops) {
    throw new ClickHouseClusterPropsError(
      `volumeThroughputMiBps ${props.volumeThroughputMiBps} exceeds gp3's ${GP3_LIMITS.maxThroughputMiBpsPerIops} MiB/s per IOPS of volumeIops ${props.volumeIops}`,
    );
  }
  if (props.rootVolumeGiB !== undefined) requireInteger('rootVolumeGiB', props.rootVolumeGiB, 8, 16_384);
  if (props.clusterName !== undefined && !/^[a-z_][a-z0-9_]*$/.test(props.clusterName)) {
    throw new ClickHouseClusterPropsError(
      `clusterName must match [a-z_][a-z0-9_]*, got "${props.clusterName}"`,
    );
  }
  if (
    props.domainName !== undefined &&
    !/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]+$/.test(props.domainName)
  ) {
    throw new ClickHouseClusterPropsError(
      `domainName must be a lower-case DNS name, got "${props.domainName}"`,
    );
  }
  if (props.clickhouseVersion !== undefined && !/^\d+\.\d+(\.\d+){0,2}$/.test(props.clickhouseVersion)) {
    throw new ClickHouseClusterPropsError(
      `clickhouseVersion must be a release number such as 25.8.2.29, got "${props.clickhouseVersion}"`,
    );
  }
}

/**
 * The migration files, read at synth time: the custom resource carries them to the migration
 * function, so what runs is exactly what this commit holds (clickhouse/migrate.ts checks the rest).
 */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  return files.map((file, i) => {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match?.[1] || !match[2] || Number(match[1]) !== i + 1) {
      throw new Error(`migration file ${file} must be named ${String(i + 1).padStart(4, '0')}_name.sql`);
    }
    return { version: i + 1, name: match[2], sql: readFileSync(join(dir, file), 'utf8') };
  });
}

/** A SHA-256 over the migrations' names and contents: a new or changed file re-runs the resource. */
export function migrationsHash(migrations: readonly Migration[]): string {
  const hash = createHash('sha256');
  for (const m of migrations) hash.update(`${m.version}\0${m.name}\0${m.sql}\0`);
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Configuration and user data renderers. Pure: they return text, so tests read what a node gets.
// Values known only on the node (its IP, password hashes, the cluster secret) are passed in as
// shell expansions (`${PRIVATE_IP}`) and the user data writes those files with an unquoted heredoc.
// ---------------------------------------------------------------------------------------------

/** An AWS managed policy's ARN as cdk-nag names it in a finding. */
const managedPolicyArn = (name: string): string => `arn:<AWS::Partition>:iam::aws:policy/${name}`;

const expand = (variable: string): string => `\${${variable}}`;

/** Shell variables the user data sets before it writes the config files, as they appear there. */
export const SHELL = {
  privateIp: expand('PRIVATE_IP'),
  clusterSecret: expand('CLUSTER_SECRET'),
  loaderSha256: expand('LOADER_PASSWORD_SHA256'),
  querySha256: expand('QUERY_PASSWORD_SHA256'),
  adminSha256: expand('ADMIN_PASSWORD_SHA256'),
} as const;

/**
 * `config.d/evalforge.xml` of one data node: where it listens, its macros, the whole cluster by
 * the nodes' private names, and the Keeper ensemble (replicated clusters only).
 */
export function renderServerConfig(
  layout: ClusterLayout,
  node: DataNode,
  options: { readonly listenHost: string; readonly clusterSecret: string },
): string {
  const shards = Array.from({ length: layout.shards }, (_, s) => {
    const replicas = Array.from({ length: layout.replicas }, (_, r) =>
      [
        '                <replica>',
        `                    <host>${fqdn(layout, dataNodeName({ shard: s + 1, replica: r + 1 }))}</host>`,
        `                    <port>${CLICKHOUSE_PORTS.native}</port>`,
        '                </replica>',
      ].join('\n'),
    );
    return [
      '            <shard>',
      // Each replica fetches its peers' parts itself: a Distributed insert writes one replica.
      '                <internal_replication>true</internal_replication>',
      ...replicas,
      '            </shard>',
    ].join('\n');
  });
  const keepers = Array.from({ length: layout.keeperNodes }, (_, k) =>
    [
      '        <node>',
      `            <host>${fqdn(layout, keeperNodeName(k + 1))}</host>`,
      `            <port>${CLICKHOUSE_PORTS.keeperClient}</port>`,
      '        </node>',
    ].join('\n'),
  );
  const name = dataNodeName(node);
  return [
    '<clickhouse>',
    `    <listen_host>${options.listenHost}</listen_host>`,
    '    <listen_host>127.0.0.1</listen_host>',
    `    <interserver_http_host>${fqdn(layout, name)}</interserver_http_host>`,
    '    <interserver_http_credentials>',
    '        <user>evalforge_interserver</user>',
    `        <password>${options.clusterSecret}</password>`,
    '    </interserver_http_credentials>',
    '    <macros>',
    `        <cluster>${layout.clusterName}</cluster>`,
    `        <shard>${node.shard}</shard>`,
    `        <replica>${name}</replica>`,
    '    </macros>',
    '    <remote_servers>',
    `        <${layout.clusterName}>`,
    // With a cluster secret, a node forwards the initial user to its peers instead of logging in
    // as `default` (which only answers on localhost here).
    `            <secret>${options.clusterSecret}</secret>`,
    ...shards,
    `        </${layout.clusterName}>`,
    '    </remote_servers>',
    ...(keepers.length > 0 ? ['    <zookeeper>', ...keepers, '    </zookeeper>'] : []),
    '</clickhouse>',
    '',
  ].join('\n');
}

/**
 * `users.d/evalforge.xml`: the loader, the query API and the admin user, each from the client
 * networks only and with its password's SHA-256; `default` answers on localhost only.
 */
export function renderUsersConfig(options: {
  readonly database: string;
  readonly clientNetworks: readonly string[];
  readonly passwordSha256: { readonly loader: string; readonly query: string; readonly admin: string };
}): string {
  const networks = (extra: readonly string[] = []) => [
    '            <networks>',
    ...[...options.clientNetworks, ...extra].map((ip) => `                <ip>${ip}</ip>`),
    '            </networks>',
  ];
  const user = (
    name: string,
    sha256: string,
    profile: string,
    grants: readonly string[],
    extra?: string[],
  ) => [
    `        <${name}>`,
    `            <password_sha256_hex>${sha256}</password_sha256_hex>`,
    ...networks(extra),
    `            <profile>${profile}</profile>`,
    '            <quota>default</quota>',
    '            <grants>',
    ...grants.map((g) => `                <query>${g}</query>`),
    '            </grants>',
    `        </${name}>`,
  ];
  const db = options.database;
  return [
    '<clickhouse>',
    '    <profiles>',
    `        <${CLICKHOUSE_USERS.loader}>`,
    '            <profile>default</profile>',
    // A Distributed insert returns once every shard holds its rows, so the loader never
    // acknowledges a batch that is only queued on the node it reached.
    '            <distributed_foreground_insert>1</distributed_foreground_insert>',
    `        </${CLICKHOUSE_USERS.loader}>`,
    `        <${CLICKHOUSE_USERS.query}>`,
    '            <profile>default</profile>',
    // Reads only; 2 (not 1) still lets a query set output settings, as the query API does.
    '            <readonly>2</readonly>',
    `        </${CLICKHOUSE_USERS.query}>`,
    '    </profiles>',
    '    <users>',
    '        <default>',
    '            <networks replace="replace">',
    '                <ip>::1</ip>',
    '                <ip>127.0.0.1</ip>',
    '            </networks>',
    '        </default>',
    ...user(CLICKHOUSE_USERS.loader, options.passwordSha256.loader, CLICKHOUSE_USERS.loader, [
      `GRANT SELECT, INSERT ON ${db}.*`,
    ]),
    ...user(CLICKHOUSE_USERS.query, options.passwordSha256.query, CLICKHOUSE_USERS.query, [
      `GRANT SELECT ON ${db}.*`,
    ]),
    ...user(
      CLICKHOUSE_USERS.admin,
      options.passwordSha256.admin,
      'default',
      [`GRANT ALL ON ${db}.*`, 'GRANT CLUSTER ON *.*', 'GRANT SELECT ON system.*'],
      ['::1', '127.0.0.1'],
    ),
    '    </users>',
    '</clickhouse>',
    '',
  ].join('\n');
}

/** `keeper_config.xml` of Keeper node `serverId`: the raft ensemble by the nodes' private names. */
export function renderKeeperConfig(
  layout: ClusterLayout,
  serverId: number,
  options: { readonly listenHost: string },
): string {
  const servers = Array.from({ length: layout.keeperNodes }, (_, k) =>
    [
      '            <server>',
      `                <id>${k + 1}</id>`,
      `                <hostname>${fqdn(layout, keeperNodeName(k + 1))}</hostname>`,
      `                <port>${CLICKHOUSE_PORTS.keeperRaft}</port>`,
      '            </server>',
    ].join('\n'),
  );
  return [
    '<clickhouse>',
    '    <logger>',
    '        <level>information</level>',
    '        <log>/var/log/clickhouse-keeper/clickhouse-keeper.log</log>',
    '        <errorlog>/var/log/clickhouse-keeper/clickhouse-keeper.err.log</errorlog>',
    '        <size>100M</size>',
    '        <count>10</count>',
    '    </logger>',
    `    <listen_host>${options.listenHost}</listen_host>`,
    '    <listen_host>127.0.0.1</listen_host>',
    '    <max_connections>4096</max_connections>',
    '    <keeper_server>',
    `        <tcp_port>${CLICKHOUSE_PORTS.keeperClient}</tcp_port>`,
    `        <server_id>${serverId}</server_id>`,
    '        <log_storage_path>/var/lib/clickhouse/coordination/logs</log_storage_path>',
    '        <snapshot_storage_path>/var/lib/clickhouse/coordination/snapshots</snapshot_storage_path>',
    '        <coordination_settings>',
    '            <operation_timeout_ms>10000</operation_timeout_ms>',
    '            <session_timeout_ms>30000</session_timeout_ms>',
    '            <raft_logs_level>warning</raft_logs_level>',
    '        </coordination_settings>',
    '        <raft_configuration>',
    ...servers,
    '        </raft_configuration>',
    '    </keeper_server>',
    '</clickhouse>',
    '',
  ].join('\n');
}

const HEREDOC = 'EVALFORGE_EOF';

/** Writes `content` to `path` (owner clickhouse, mode 0640) expanding only `${VARIABLE}`s. */
function writeFileCommand(path: string, content: string): string {
  if (content.includes(HEREDOC) || /[`\\]|\$\(/.test(content)) {
    throw new Error(`${path}: the rendered text would not survive the shell heredoc`);
  }
  return [
    `install -m 0640 -o clickhouse -g clickhouse /dev/null ${path}`,
    `cat > ${path} <<${HEREDOC}`,
    content.trimEnd(),
    HEREDOC,
  ].join('\n');
}

/** The CloudFormation resource a node signals, and where. */
export interface SignalTarget {
  readonly stackName: string;
  readonly logicalId: string;
  readonly region: string;
}

function preamble(signal: SignalTarget): string[] {
  return [
    'set -euo pipefail',
    // Runs at every boot (see the cloud-config part): every step below is idempotent. The exit
    // status is signalled to the instance's CreationPolicy; after creation CloudFormation refuses
    // the signal, which is harmless.
    `signal() { /opt/aws/bin/cfn-signal --exit-code "$1" --stack '${signal.stackName}' --resource '${signal.logicalId}' --region '${signal.region}' || true; }`,
    "trap 'signal $?' EXIT",
    'retry() { for attempt in 1 2 3 4 5 6; do "$@" && return 0; echo "retrying ($attempt): $*" >&2; sleep 20; done; return 1; }',
    'rpm -q aws-cfn-bootstrap >/dev/null || retry dnf install -y aws-cfn-bootstrap',
    'IMDS_TOKEN=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")',
    'PRIVATE_IP=$(curl -fsS -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" http://169.254.169.254/latest/meta-data/local-ipv4)',
  ];
}

function clickHouseRepo(): string {
  return [
    `cat > /etc/yum.repos.d/clickhouse.repo <<'${HEREDOC}'`,
    '[clickhouse-lts]',
    'name=ClickHouse LTS',
    'baseurl=https://packages.clickhouse.com/rpm/lts/',
    'gpgkey=https://packages.clickhouse.com/rpm/lts/repodata/repomd.xml.key',
    'gpgcheck=0',
    'repo_gpgcheck=1',
    'enabled=1',
    HEREDOC,
  ].join('\n');
}

const packages = (names: readonly string[], version: string | undefined) =>
  names.map((n) => (version ? `${n}-${version}` : n)).join(' ');

/**
 * Waits until every name resolves: ClickHouse refuses to start when a `remote_servers` host does
 * not, and the records are created before the instances, so this is normally immediate.
 */
function waitForNames(names: readonly string[]): string {
  return [
    `for host in ${names.join(' ')}; do`,
    '  for _ in $(seq 1 90); do getent hosts "$host" >/dev/null && break; sleep 10; done',
    '  getent hosts "$host" >/dev/null || { echo "cannot resolve $host" >&2; exit 1; }',
    'done',
  ].join('\n');
}

export interface NodeUserDataOptions {
  readonly layout: ClusterLayout;
  readonly node: DataNode;
  readonly region: string;
  /** The data volume attached as /dev/sdf. */
  readonly volumeId: string;
  /** Secret ARNs: the three users' passwords and the cluster's inter-server secret. */
  readonly secrets: {
    readonly loader: string;
    readonly query: string;
    readonly admin: string;
    readonly cluster: string;
  };
  /** CIDRs the application users may connect from (the VPC's). */
  readonly clientNetworks: readonly string[];
  readonly signal: SignalTarget;
  readonly clickhouseVersion?: string;
}

/** The shell script a data node runs at boot: data volume, ClickHouse, its config, the signal. */
export function renderNodeUserData(options: NodeUserDataOptions): string {
  const { layout, node } = options;
  const peers = [
    ...dataNodes(layout).map((n) => fqdn(layout, dataNodeName(n))),
    ...Array.from({ length: layout.keeperNodes }, (_, k) => fqdn(layout, keeperNodeName(k + 1))),
  ];
  return [
    ...preamble(options.signal),
    // The data volume: on Nitro instances /dev/sdf appears as an NVMe device whose serial is the
    // volume id. Formatted only when blank, so a volume re-attached to a new instance keeps its data.
    `VOLUME_ID='${options.volumeId}'`,
    'DEVICE="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$(tr -d - <<<"$VOLUME_ID")"',
    'for _ in $(seq 1 60); do [ -e "$DEVICE" ] && break; sleep 5; done',
    '[ -e "$DEVICE" ] || { echo "data volume $VOLUME_ID is not attached" >&2; exit 1; }',
    '[ -n "$(blkid -o value -s TYPE "$DEVICE" || true)" ] || mkfs.xfs -L clickhouse-data "$DEVICE"',
    'FS_UUID=$(blkid -o value -s UUID "$DEVICE")',
    'mkdir -p /var/lib/clickhouse',
    'grep -q "$FS_UUID" /etc/fstab || echo "UUID=$FS_UUID /var/lib/clickhouse xfs defaults,noatime,nofail 0 2" >> /etc/fstab',
    'mountpoint -q /var/lib/clickhouse || mount /var/lib/clickhouse',
    // A bigger tier grows the volume in place (EBS modifies it live); the file system follows.
    'xfs_growfs /var/lib/clickhouse',
    // ClickHouse from the official RPM repository (LTS channel), unless already installed.
    clickHouseRepo(),
    `rpm -q clickhouse-server >/dev/null || retry dnf install -y ${packages(['clickhouse-common-static', 'clickhouse-server', 'clickhouse-client'], options.clickhouseVersion)}`,
    '[ "$(stat -c %U /var/lib/clickhouse)" = clickhouse ] || chown -R clickhouse:clickhouse /var/lib/clickhouse',
    // Never start on the root volume if the data volume is missing.
    'mkdir -p /etc/systemd/system/clickhouse-server.service.d',
    "printf '[Unit]\\nRequiresMountsFor=/var/lib/clickhouse\\n' > /etc/systemd/system/clickhouse-server.service.d/evalforge.conf",
    // Passwords and the cluster secret from Secrets Manager; only their hashes reach the disk.
    `secret() { aws secretsmanager get-secret-value --region '${options.region}' --secret-id "$1" --query SecretString --output text; }`,
    "sha256() { printf '%s' \"$1\" | sha256sum | cut -d' ' -f1; }",
    `LOADER_PASSWORD=$(secret '${options.secrets.loader}')`,
    `QUERY_PASSWORD=$(secret '${options.secrets.query}')`,
    `ADMIN_PASSWORD=$(secret '${options.secrets.admin}')`,
    `CLUSTER_SECRET=$(secret '${options.secrets.cluster}')`,
    'LOADER_PASSWORD_SHA256=$(sha256 "$LOADER_PASSWORD")',
    'QUERY_PASSWORD_SHA256=$(sha256 "$QUERY_PASSWORD")',
    'ADMIN_PASSWORD_SHA256=$(sha256 "$ADMIN_PASSWORD")',
    'unset LOADER_PASSWORD QUERY_PASSWORD ADMIN_PASSWORD',
    writeFileCommand(
      '/etc/clickhouse-server/config.d/evalforge.xml',
      renderServerConfig(layout, node, { listenHost: SHELL.privateIp, clusterSecret: SHELL.clusterSecret }),
    ),
    writeFileCommand(
      '/etc/clickhouse-server/users.d/evalforge.xml',
      renderUsersConfig({
        database: DATABASE,
        clientNetworks: options.clientNetworks,
        passwordSha256: { loader: SHELL.loaderSha256, query: SHELL.querySha256, admin: SHELL.adminSha256 },
      }),
    ),
    waitForNames(peers),
    'systemctl daemon-reload',
    'systemctl enable clickhouse-server',
    'systemctl restart clickhouse-server',
    // Up when it answers on the VPC address, where clients and peers reach it.
    `for _ in $(seq 1 120); do curl -fsS "http://$PRIVATE_IP:${CLICKHOUSE_PORTS.http}/ping" && exit 0; sleep 5; done`,
    `echo "ClickHouse does not answer on $PRIVATE_IP:${CLICKHOUSE_PORTS.http}" >&2`,
    'exit 1',
  ].join('\n');
}

export interface KeeperUserDataOptions {
  readonly layout: ClusterLayout;
  /** The raft server id, 1..keeperNodes. */
  readonly serverId: number;
  readonly signal: SignalTarget;
  readonly clickhouseVersion?: string;
}

/** The shell script a Keeper node runs at boot: clickhouse-keeper, its raft config, the signal. */
export function renderKeeperUserData(options: KeeperUserDataOptions): string {
  const { layout } = options;
  const peers = Array.from({ length: layout.keeperNodes }, (_, k) => fqdn(layout, keeperNodeName(k + 1)));
  return [
    ...preamble(options.signal),
    clickHouseRepo(),
    `rpm -q clickhouse-keeper >/dev/null || retry dnf install -y ${packages(['clickhouse-keeper'], options.clickhouseVersion)}`,
    'mkdir -p /var/lib/clickhouse/coordination',
    'chown -R clickhouse:clickhouse /var/lib/clickhouse',
    writeFileCommand(
      '/etc/clickhouse-keeper/keeper_config.xml',
      renderKeeperConfig(layout, options.serverId, { listenHost: SHELL.privateIp }),
    ),
    waitForNames(peers),
    'systemctl daemon-reload',
    'systemctl enable clickhouse-keeper',
    'systemctl restart clickhouse-keeper',
    // Up when it answers `ruok` on the VPC address; the quorum forms once a majority is up.
    'for _ in $(seq 1 120); do',
    `  reply=$( (exec 3<>"/dev/tcp/$PRIVATE_IP/${CLICKHOUSE_PORTS.keeperClient}"; printf ruok >&3; timeout 5 cat <&3) 2>/dev/null || true)`,
    '  [ "$reply" = imok ] && exit 0',
    '  sleep 5',
    'done',
    `echo "ClickHouse Keeper does not answer on $PRIVATE_IP:${CLICKHOUSE_PORTS.keeperClient}" >&2`,
    'exit 1',
  ].join('\n');
}

/** cloud-init runs the shell part at every boot, so a stop/start applies a changed configuration. */
const EVERY_BOOT = '#cloud-config\ncloud_final_modules:\n  - [scripts-user, always]\n';

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
 * - **Configuration** is rendered at synth time ({@link renderServerConfig}, {@link renderUsersConfig},
 *   {@link renderKeeperConfig}) into user data that runs at every boot, installs ClickHouse from
 *   packages.clickhouse.com, reads the passwords from Secrets Manager and signals CloudFormation
 *   once the server answers: anything that depends on this construct waits for a running cluster.
 * - **Auth.** Users `evalforge_loader` (SELECT, INSERT), `evalforge_query` (SELECT, read-only) and
 *   `evalforge_admin` (DDL, used by the migrations), each with a generated password in its own
 *   secret, stored on the nodes as SHA-256; `default` answers on localhost only. Nodes talk to each
 *   other with a generated cluster secret (Distributed queries carry the initial user).
 * - **Transport: HTTP on 8123 inside the VPC, unencrypted.** The functions' client
 *   (functions/shared/clickhouse.ts) is given no CA, and a certificate generated on a node at boot
 *   is unknown at synth time; HTTPS would need a CA distributed to every client first (a private CA,
 *   or one generated at deploy and read by the clients at start). Until then, passwords (HTTP basic
 *   auth) and rows cross the VPC in clear: c5 is not among the instance types whose traffic AWS
 *   encrypts automatically. Exposure is limited to the VPC and to members of
 *   {@link clientSecurityGroup}: no other source can reach 8123, and the inter-node ports (9000,
 *   9009, 9181, 9234) are open only among the nodes.
 * - **Migrations** run at deploy: a custom resource runs clickhouse/migrate.ts against the cluster as
 *   `evalforge_admin` after every node has signalled, and again whenever a migration file changes or
 *   nodes are added (new nodes get every table). A move between one node and a replicated cluster
 *   (tier 2 → 3) fails the deployment: its tables differ and this construct does not move data.
 *
 * Growing a cluster adds nodes and rewrites every node's configuration; CloudFormation then stops
 * and starts the existing nodes (in parallel), so plan the change for a quiet hour. Data already on
 * the shards is not moved: new shards receive new rows only.
 */
export class ClickHouseCluster extends Construct {
  /**
   * `http://<domainName>:8123`: a name listing every data node. Any node accepts the loader's
   * inserts (into the Distributed `events_ingest`, which splits rows to their shards by
   * `cityHash64(project_id)`) and the query API's reads (Distributed tables), so clients need no
   * node of their own; a kept-alive connection stays on the node it resolved to, and Lambda
   * containers spread over the nodes.
   */
  readonly url: string;
  /** Put the clients (the loader and query functions) in it; only it reaches the HTTP port. */
  readonly clientSecurityGroup: SecurityGroup;
  /** The nodes' own group: ClickHouse's inter-node ports among its members only. */
  readonly nodeSecurityGroup: SecurityGroup;
  /** The loader's password (a plain string, as functions/shared/clickhouse-env.ts reads it). */
  readonly loaderPassword: ISecret;
  /** The query API's password. */
  readonly queryPassword: ISecret;
  /** The admin user's password: migrations and operators. */
  readonly adminPassword: ISecret;
  /** Data nodes, shard by shard (`s1r1`, `s1r2`, `s2r1`, …). */
  readonly instances: Instance[];
  /** Their data volumes, in the same order. */
  readonly dataVolumes: Volume[];
  /** Keeper nodes (none for a single node). */
  readonly keeperInstances: Instance[];
  /** The `remote_servers` cluster name the migrations use. */
  readonly clusterName: string;
  /** The private zone with the nodes' names. */
  readonly hostedZone: IPrivateHostedZone;
  /** The custom resource that applies the migrations; depend on it to wait for the schema. */
  readonly migrations: CustomResource;

  constructor(scope: Construct, id: string, props: ClickHouseClusterProps) {
    super(scope, id);
    validateClusterProps(props);
    const stack = Stack.of(this);
    const layout: ClusterLayout = {
      clusterName: props.clusterName ?? 'evalforge',
      domainName: props.domainName ?? 'clickhouse.evalforge.internal',
      shards: props.shards,
      replicas: props.replicas,
      keeperNodes: props.keeperNodes,
    };
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
      description: 'ClickHouse and Keeper nodes: inter-node ports among themselves, HTTP from clients',
      allowAllOutbound: true,
    });
    this.clientSecurityGroup = new SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: props.vpc,
      description: 'Clients of ClickHouse: the only source allowed to its HTTP port',
      allowAllOutbound: true,
    });
    const nodePorts: [number, string][] = [
      [CLICKHOUSE_PORTS.native, 'ClickHouse native protocol between nodes (Distributed queries and inserts)'],
      [CLICKHOUSE_PORTS.interserver, 'ClickHouse interserver HTTP (replica fetches)'],
      [CLICKHOUSE_PORTS.keeperClient, 'ClickHouse Keeper client port'],
      [CLICKHOUSE_PORTS.keeperRaft, 'ClickHouse Keeper raft'],
    ];
    for (const [port, description] of nodePorts) {
      this.nodeSecurityGroup.addIngressRule(this.nodeSecurityGroup, Port.tcp(port), description);
    }
    this.nodeSecurityGroup.addIngressRule(
      this.clientSecurityGroup,
      Port.tcp(CLICKHOUSE_PORTS.http),
      'ClickHouse HTTP from its clients',
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
    const clusterSecret = password('ClusterSecret', 'ClickHouse inter-server secret');

    const nodeRole = this.instanceRole(
      'NodeRole',
      'ClickHouse data nodes: Session Manager, password secrets',
    );
    for (const secret of [this.loaderPassword, this.queryPassword, this.adminPassword, clusterSecret]) {
      secret.grantRead(nodeRole);
    }
    const keeperRole = this.instanceRole('KeeperRole', 'ClickHouse Keeper nodes: Session Manager');

    this.hostedZone = new PrivateHostedZone(this, 'Zone', { zoneName: layout.domainName, vpc: props.vpc });
    // An interface per node, created before its instance: its address is known to the records
    // before any node boots (ClickHouse will not start while a peer's name does not resolve).
    const networkInterface = (nodeId: string, subnetIndex: number) =>
      new CfnNetworkInterface(this, `${nodeId}Interface`, {
        subnetId: subnetAt(subnetIndex).subnetId,
        groupSet: [this.nodeSecurityGroup.securityGroupId],
        description: `ClickHouse ${nodeId}`,
      });
    const record = (nodeId: string, label: string, ip: string) =>
      new ARecord(this, `${nodeId}Record`, {
        zone: this.hostedZone,
        recordName: label,
        target: RecordTarget.fromIpAddresses(ip),
        ttl: Duration.seconds(60),
      });

    const data = dataNodes(layout).map((node) => {
      const nodeId = `Shard${node.shard}Replica${node.replica}`;
      // Replicas of a shard in different zones; replica 1 of shard s always in the same one.
      const subnetIndex = node.shard - 1 + node.replica - 1;
      const eni = networkInterface(nodeId, subnetIndex);
      return {
        node,
        nodeId,
        subnetIndex,
        eni,
        record: record(nodeId, dataNodeName(node), eni.attrPrimaryPrivateIpAddress),
      };
    });
    const keepers = Array.from({ length: layout.keeperNodes }, (_, k) => {
      const nodeId = `Keeper${k + 1}`;
      const eni = networkInterface(nodeId, k);
      return {
        serverId: k + 1,
        nodeId,
        subnetIndex: k,
        eni,
        record: record(nodeId, keeperNodeName(k + 1), eni.attrPrimaryPrivateIpAddress),
      };
    });
    const clusterRecord = new ARecord(this, 'ClusterRecord', {
      zone: this.hostedZone,
      target: RecordTarget.fromIpAddresses(...data.map((d) => d.eni.attrPrimaryPrivateIpAddress)),
      ttl: Duration.seconds(60),
    });
    const records = [...data.map((d) => d.record), ...keepers.map((k) => k.record), clusterRecord];

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
      // As text, not base64: EC2 caps user data at 16 KB and the largest tier's script is ~8 KB.
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
      node.node.addDependency(selection.internetConnectivityEstablished, ...records);
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
            cluster: clusterSecret.secretArn,
          },
          clientNetworks: [props.vpc.vpcCidrBlock],
          signal,
          ...(props.clickhouseVersion ? { clickhouseVersion: props.clickhouseVersion } : {}),
        }),
      );
      // Attached as the instance launches, so the volume is there before the signal is due.
      node.instance.volumes = [{ device: DATA_DEVICE, volumeId: volume.volumeId }];
      this.instances.push(node);
      this.dataVolumes.push(volume);
    }
    this.keeperInstances = keepers.map((k) =>
      instance(k.nodeId, k.subnetIndex, k.eni, props.keeperInstanceType, keeperRole, (signal) =>
        renderKeeperUserData({
          layout,
          serverId: k.serverId,
          signal,
          ...(props.clickhouseVersion ? { clickhouseVersion: props.clickhouseVersion } : {}),
        }),
      ),
    );

    this.url = `http://${layout.domainName}:${CLICKHOUSE_PORTS.http}`;
    this.migrations = this.migrationResource(props, layout);
    this.migrations.node.addDependency(...this.instances, ...this.keeperInstances, ...records);
  }

  private instanceRole(id: string, description: string): Role {
    const role = new Role(this, id, {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      description,
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM4[Policy::${managedPolicyArn('AmazonSSMManagedInstanceCore')}]`,
      reason:
        'AmazonSSMManagedInstanceCore is the AWS-maintained minimum for Session Manager, the only way in (no SSH).',
    });
    return role;
  }

  private migrationResource(props: ClickHouseClusterProps, layout: ClusterLayout): CustomResource {
    const nodeUrls = dataNodes(layout).map(
      (n) => `http://${fqdn(layout, dataNodeName(n))}:${CLICKHOUSE_PORTS.http}`,
    );
    const fn = new EvalForgeFunction(this, 'MigrationFunction', {
      name: 'migrate',
      memoryMiB: 512,
      // ON CLUSTER statements wait for every node; the handler first waits for the cluster to answer.
      timeoutSec: 900,
      vpc: props.vpc,
      ...(props.vpcSubnets ? { vpcSubnets: props.vpcSubnets } : {}),
      securityGroups: [this.clientSecurityGroup],
      environment: {
        // The first node runs the statements (ON CLUSTER carries them to the others); every node
        // must answer before the first one.
        CLICKHOUSE_URL: nodeUrls[0] ?? this.url,
        CLICKHOUSE_NODE_URLS: nodeUrls.join(','),
        CLICKHOUSE_USER: CLICKHOUSE_USERS.admin,
        CLICKHOUSE_PASSWORD_SECRET_ARN: this.adminPassword.secretArn,
      },
    });
    this.adminPassword.grantRead(fn);
    for (const policy of [
      'service-role/AWSLambdaBasicExecutionRole',
      'service-role/AWSLambdaVPCAccessExecutionRole',
    ]) {
      Validations.of(fn).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM4[Policy::${managedPolicyArn(policy)}]`,
        reason: 'The AWS-maintained minimum for a function in a VPC that writes logs.',
      });
    }
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray accepts trace segments only on Resource "*" (the function wrapper turns tracing on).',
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason:
        "The runtime is the function wrapper's (lib/constructs/evalforge-function.ts), the same for every function.",
    });
    const provider = new Provider(this, 'MigrationProvider', {
      onEventHandler: fn,
      logGroup: new LogGroup(this, 'MigrationProviderLogs', {
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    Validations.of(provider).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM4[Policy::${managedPolicyArn('service-role/AWSLambdaBasicExecutionRole')}]`,
      reason: "The custom resource framework's own function logs through AWSLambdaBasicExecutionRole.",
    });
    const fnLogicalId = Stack.of(this).resolve(
      Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement),
    );
    Validations.of(provider).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
      reason:
        "The custom resource framework may invoke any version of the migration function (`<function arn>:*`); the policy is aws-cdk-lib's own.",
    });
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: "The custom resource framework's runtime is chosen by aws-cdk-lib.",
    });
    const migrations = readMigrations();
    return new CustomResource(this, 'Migrations', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ClickHouseMigrations',
      properties: {
        // A new migration, a topology change or added nodes each re-run the resource.
        Cluster: isReplicatedCluster(layout) ? layout.clusterName : '',
        Nodes: dataNodes(layout).map(dataNodeName).join(','),
        MigrationsSha256: migrationsHash(migrations),
        // About 10 KB today; a custom resource request may carry up to 256 KB.
        Migrations: migrations.map((m) => ({ Version: String(m.version), Name: m.name, Sql: m.sql })),
      },
    });
  }
}
