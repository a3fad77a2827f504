import {
  CLICKHOUSE_PORTS,
  type ClusterLayout,
  type DataNode,
  dataNodeName,
  dataNodes,
  fqdn,
  keeperNodeName,
  keeperServerIds,
  tlsFiles,
} from './cluster-layout.js';
import { KEEPER_TLS_DIRECTORY, renderKeeperConfig } from './keeper-config.js';
import { renderServerConfig, SERVER_TLS_DIRECTORY } from './server-config.js';
import { renderStorageConfig } from './storage-config.js';
import { renderUsersConfig } from './users-config.js';

// The user data of the nodes, rendered at synth time. Pure: it returns text, so tests read what a
// node gets. Values known only on the node (its IP, password hashes, the cluster secret) go into
// the config renderers as shell expansions (`${PRIVATE_IP}`), and the script writes those files
// with an unquoted heredoc.

/** The database the functions' client uses (functions/shared/clickhouse/client.ts) and the migrations fill. */
const DATABASE = 'default';

const expand = (variable: string): string => `\${${variable}}`;

/** Shell variables the user data sets before it writes the config files, as they appear there. */
export const SHELL = {
  privateIp: expand('PRIVATE_IP'),
  clusterSecret: expand('CLUSTER_SECRET'),
  loaderSha256: expand('LOADER_PASSWORD_SHA256'),
  querySha256: expand('QUERY_PASSWORD_SHA256'),
  adminSha256: expand('ADMIN_PASSWORD_SHA256'),
  monitorSha256: expand('MONITOR_PASSWORD_SHA256'),
} as const;

const HEREDOC = 'EVALFORGE_EOF';

/**
 * Writes `content` to `path` (owner clickhouse, mode 0640) expanding only `${VARIABLE}`s. Lines
 * lose their indentation, which XML does not need: EC2 caps user data at 16 KB, and the largest
 * tier's indentation alone is about 4 KB.
 */
function writeFileCommand(path: string, content: string): string {
  if (content.includes(HEREDOC) || /[`\\]|\$\(/.test(content)) {
    throw new Error(`${path}: the rendered text would not survive the shell heredoc`);
  }
  return [
    `install -m 0640 -o clickhouse -g clickhouse /dev/null ${path}`,
    `cat > ${path} <<${HEREDOC}`,
    content.trimEnd().replace(/^ +/gm, ''),
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

/** `secret <arn>`: a secret's string, with the instance role. */
const secretFunction = (region: string) =>
  `secret() { aws secretsmanager get-secret-value --region '${region}' --secret-id "$1" --query SecretString --output text; }`;

/** Where a node's certificate comes from (lib/constructs/clickhouse/certificates.ts issues it). */
export interface NodeTlsOptions {
  /** The node's own secret: its private key and certificate, PEM, key first. */
  readonly nodeSecretArn: string;
  /** The CA certificate's secret (PEM). */
  readonly caSecretArn: string;
  /**
   * The certificates' generation: a new one re-issues every certificate, and changes this user
   * data, so CloudFormation restarts the node, which then reads its new certificate.
   */
  readonly generation: string;
}

/**
 * `tls <dir> <node secret> <CA secret>`, then the call: the node's key (mode 0600, owner
 * clickhouse), its certificate and the CA, from Secrets Manager, at every boot. The key goes from
 * the API's answer to the file through a pipe, nowhere else.
 */
function tlsCommands(directory: string, tls: NodeTlsOptions): string[] {
  const files = tlsFiles(directory);
  const block = (label: string) => `sed -n '/-BEGIN ${label}-/,/-END ${label}-/p'`;
  return [
    `CERTIFICATES_GENERATION='${tls.generation}'`,
    'tls() {',
    '  install -d -m 0750 -o clickhouse -g clickhouse "$1"',
    `  install -m 0600 -o clickhouse -g clickhouse /dev/null ${files.key}`,
    `  install -m 0644 -o clickhouse -g clickhouse /dev/null ${files.certificate}`,
    `  install -m 0644 -o clickhouse -g clickhouse /dev/null ${files.ca}`,
    `  secret "$2" | ${block('PRIVATE KEY')} > ${files.key}`,
    `  secret "$2" | ${block('CERTIFICATE')} > ${files.certificate}`,
    `  secret "$3" > ${files.ca}`,
    `  [ -s ${files.key} ] && [ -s ${files.certificate} ] || { echo "no key and certificate in $2 ($CERTIFICATES_GENERATION)" >&2; exit 1; }`,
    '}',
    `tls ${directory} '${tls.nodeSecretArn}' '${tls.caSecretArn}'`,
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

/** What a data node's script needs: its place in the cluster, its volume, secrets and signal. */
export interface NodeUserDataOptions {
  readonly layout: ClusterLayout;
  readonly node: DataNode;
  readonly region: string;
  /** The data volume attached as /dev/sdf. */
  readonly volumeId: string;
  /** Secret ARNs: the four users' passwords and the cluster's inter-server secret. */
  readonly secrets: {
    readonly loader: string;
    readonly query: string;
    readonly admin: string;
    readonly monitor: string;
    readonly cluster: string;
  };
  /** CIDRs the application users may connect from (the VPC's). */
  readonly clientNetworks: readonly string[];
  /** The node's S3 disk: its own prefix of the cold bucket, and the cache on the data volume. */
  readonly coldStorage: {
    /** `https://<bucket regional domain>/clickhouse/<node>/`. */
    readonly endpoint: string;
    /** The bucket's region. */
    readonly region: string;
    /** The cache's size on the data volume, GiB. */
    readonly cacheGiB: number;
  };
  /** Its key and certificate, and the CA. */
  readonly tls: NodeTlsOptions;
  readonly signal: SignalTarget;
  readonly clickhouseVersion?: string;
}

const GIB = 1024 ** 3;

/** The shell script a data node runs at boot: data volume, ClickHouse, its config, the signal. */
export function renderNodeUserData(options: NodeUserDataOptions): string {
  const { layout, node } = options;
  const url = `https://${fqdn(layout, dataNodeName(node))}:${CLICKHOUSE_PORTS.https}`;
  const peers = [
    ...dataNodes(layout).map((n) => fqdn(layout, dataNodeName(n))),
    ...keeperServerIds(layout).map((id) => fqdn(layout, keeperNodeName(id))),
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
    secretFunction(options.region),
    "sha256() { printf '%s' \"$1\" | sha256sum | cut -d' ' -f1; }",
    `LOADER_PASSWORD=$(secret '${options.secrets.loader}')`,
    `QUERY_PASSWORD=$(secret '${options.secrets.query}')`,
    `ADMIN_PASSWORD=$(secret '${options.secrets.admin}')`,
    `MONITOR_PASSWORD=$(secret '${options.secrets.monitor}')`,
    `CLUSTER_SECRET=$(secret '${options.secrets.cluster}')`,
    'LOADER_PASSWORD_SHA256=$(sha256 "$LOADER_PASSWORD")',
    'QUERY_PASSWORD_SHA256=$(sha256 "$QUERY_PASSWORD")',
    'ADMIN_PASSWORD_SHA256=$(sha256 "$ADMIN_PASSWORD")',
    'MONITOR_PASSWORD_SHA256=$(sha256 "$MONITOR_PASSWORD")',
    'unset LOADER_PASSWORD QUERY_PASSWORD ADMIN_PASSWORD MONITOR_PASSWORD',
    ...tlsCommands(SERVER_TLS_DIRECTORY, options.tls),
    writeFileCommand(
      '/etc/clickhouse-server/config.d/evalforge.xml',
      renderServerConfig(layout, node, { listenHost: SHELL.privateIp, clusterSecret: SHELL.clusterSecret }),
    ),
    // The S3 disk and the `tiered` policy; the node signs with its instance role, and the cache
    // and the disk's metadata stay on the data volume (relative paths under /var/lib/clickhouse).
    writeFileCommand(
      '/etc/clickhouse-server/config.d/storage.xml',
      renderStorageConfig({
        endpoint: options.coldStorage.endpoint,
        region: options.coldStorage.region,
        credentials: { source: 'instance-role' },
        cachePath: 'cold/',
        cacheMaxSizeBytes: options.coldStorage.cacheGiB * GIB,
      }),
    ),
    writeFileCommand(
      '/etc/clickhouse-server/users.d/evalforge.xml',
      renderUsersConfig({
        database: DATABASE,
        clientNetworks: options.clientNetworks,
        passwordSha256: {
          loader: SHELL.loaderSha256,
          query: SHELL.querySha256,
          admin: SHELL.adminSha256,
          monitor: SHELL.monitorSha256,
        },
      }),
    ),
    waitForNames(peers),
    'systemctl daemon-reload',
    'systemctl enable clickhouse-server',
    'systemctl restart clickhouse-server',
    // Up when it answers HTTPS at its name, as clients and peers reach it: the certificate names
    // it and chains to the CA.
    `for _ in $(seq 1 120); do curl -fsS --cacert ${tlsFiles(SERVER_TLS_DIRECTORY).ca} "${url}/ping" && exit 0; sleep 5; done`,
    `echo "ClickHouse does not answer at ${url}" >&2`,
    'exit 1',
  ].join('\n');
}

/** What a Keeper node's script needs: the ensemble, its server id and its signal. */
export interface KeeperUserDataOptions {
  readonly layout: ClusterLayout;
  /** The raft server id, 1..keeperNodes. */
  readonly serverId: number;
  readonly region: string;
  /** Its key and certificate, and the CA. */
  readonly tls: NodeTlsOptions;
  readonly signal: SignalTarget;
  readonly clickhouseVersion?: string;
}

/** The shell script a Keeper node runs at boot: clickhouse-keeper, its certificate, its raft config, the signal. */
export function renderKeeperUserData(options: KeeperUserDataOptions): string {
  const { layout } = options;
  const peers = keeperServerIds(layout).map((id) => fqdn(layout, keeperNodeName(id)));
  return [
    ...preamble(options.signal),
    clickHouseRepo(),
    `rpm -q clickhouse-keeper >/dev/null || retry dnf install -y ${packages(['clickhouse-keeper'], options.clickhouseVersion)}`,
    'mkdir -p /var/lib/clickhouse/coordination',
    'chown -R clickhouse:clickhouse /var/lib/clickhouse',
    secretFunction(options.region),
    ...tlsCommands(KEEPER_TLS_DIRECTORY, options.tls),
    writeFileCommand(
      '/etc/clickhouse-keeper/keeper_config.xml',
      renderKeeperConfig(layout, options.serverId, { listenHost: SHELL.privateIp }),
    ),
    waitForNames(peers),
    'systemctl daemon-reload',
    'systemctl enable clickhouse-keeper',
    'systemctl restart clickhouse-keeper',
    // Up when it answers `ruok` on the VPC address (the plain client port, which only the node
    // itself reaches); the quorum forms once a majority is up.
    'for _ in $(seq 1 120); do',
    `  reply=$( (exec 3<>"/dev/tcp/$PRIVATE_IP/${CLICKHOUSE_PORTS.keeperClient}"; printf ruok >&3; timeout 5 cat <&3) 2>/dev/null || true)`,
    '  [ "$reply" = imok ] && exit 0',
    '  sleep 5',
    'done',
    `echo "ClickHouse Keeper does not answer on $PRIVATE_IP:${CLICKHOUSE_PORTS.keeperClient}" >&2`,
    'exit 1',
  ].join('\n');
}

/**
 * The cloud-config part beside the script: cloud-init runs the shell part at every boot, so a
 * stop/start applies a changed configuration.
 */
export const EVERY_BOOT = '#cloud-config\ncloud_final_modules:\n  - [scripts-user, always]\n';
