import { describe, expect, it } from 'vitest';
import {
  renderKeeperUserData,
  renderNodeUserData,
  SHELL,
} from '../../../../lib/constructs/clickhouse/boot-script.js';
import { dataNodeName, dataNodes } from '../../../../lib/constructs/clickhouse/cluster-layout.js';
import { layoutOf, SHAPES, type Shape, ZONE } from './shapes.js';

const TLS = { nodeSecretArn: 'arn:node-cert', caSecretArn: 'arn:ca-cert', generation: '3' };

describe.each(SHAPES)('renderNodeUserData, $label', (shape) => {
  const layout = layoutOf(shape);

  it('renders user data that stays well within the 16 KB EC2 limit and waits for every peer name', () => {
    const signal = { stackName: 'Analytics', logicalId: 'ClickHouseShard1Replica1', region: 'eu-west-1' };
    const script = renderNodeUserData({
      layout,
      node: { shard: shape.shards, replica: shape.replicas },
      region: 'eu-west-1',
      volumeId: 'vol-0123456789abcdef0',
      secrets: { loader: 'arn:l', query: 'arn:q', admin: 'arn:a', monitor: 'arn:m', cluster: 'arn:c' },
      clientNetworks: ['10.0.0.0/16'],
      coldStorage: {
        endpoint: `https://evalforge-cold.s3.eu-west-1.amazonaws.com/clickhouse/${dataNodeName({ shard: shape.shards, replica: shape.replicas })}/`,
        region: 'eu-west-1',
        cacheGiB: shape.coldCacheGiB,
      },
      tls: TLS,
      signal,
    });
    expect(Buffer.byteLength(script)).toBeLessThan(14_000);
    const waitLine = script.split('\n').find((l) => l.startsWith('for host in')) ?? '';
    for (const peer of dataNodes(shape)) expect(waitLine).toContain(`${dataNodeName(peer)}.${ZONE}`);
    for (let k = 1; k <= shape.keeperNodes; k++) expect(waitLine).toContain(`keeper${k}.${ZONE}`);
  });
});

describe('renderNodeUserData', () => {
  const options = {
    layout: layoutOf(SHAPES[1] as Shape),
    node: { shard: 1, replica: 1 },
    region: 'eu-west-1',
    volumeId: 'vol-0123456789abcdef0',
    secrets: { loader: 'arn:l', query: 'arn:q', admin: 'arn:a', monitor: 'arn:m', cluster: 'arn:c' },
    clientNetworks: ['10.0.0.0/16'],
    coldStorage: {
      endpoint: 'https://evalforge-cold.s3.eu-west-1.amazonaws.com/clickhouse/s1r1/',
      region: 'eu-west-1',
      cacheGiB: 100,
    },
    tls: TLS,
    signal: { stackName: 'Analytics', logicalId: 'ClickHouseShard1Replica1', region: 'eu-west-1' },
  };

  it("writes the S3 disk and the tiered policy into config.d: the node's own prefix, its role, the cache on the data volume", () => {
    const script = renderNodeUserData(options);
    const start = script.indexOf('cat > /etc/clickhouse-server/config.d/storage.xml <<EVALFORGE_EOF');
    expect(start).toBeGreaterThan(-1);
    const file = script.slice(start, script.indexOf('\nEVALFORGE_EOF', start));
    expect(file).toContain(
      '<endpoint>https://evalforge-cold.s3.eu-west-1.amazonaws.com/clickhouse/s1r1/</endpoint>',
    );
    expect(file).toContain('<region>eu-west-1</region>');
    expect(file).toContain('<use_environment_credentials>true</use_environment_credentials>');
    expect(file).not.toMatch(/access_key_id|secret_access_key/);
    expect(file).toContain('<path>cold/</path>');
    expect(file).toContain(`<max_size>${100 * 1024 ** 3}</max_size>`);
    expect(file).toMatch(/<tiered>[\s\S]*<cold>\s*<disk>cold_cache<\/disk>/);
    // Written before the server (re)starts, so every boot runs with it.
    expect(start).toBeLessThan(script.indexOf('systemctl restart clickhouse-server'));
  });

  it('rejects a cold endpoint that is not an https URL ending with /', () => {
    expect(() =>
      renderNodeUserData({
        ...options,
        coldStorage: { ...options.coldStorage, endpoint: 'evalforge-cold/clickhouse' },
      }),
    ).toThrow(/^endpoint must be an http\(s\) URL ending with '\/'/);
  });

  it("writes the configs with the node's address and the passwords' hashes, expanded on the node", () => {
    const script = renderNodeUserData(options);
    expect(script).toContain('cat > /etc/clickhouse-server/config.d/evalforge.xml <<EVALFORGE_EOF');
    expect(script).toContain('cat > /etc/clickhouse-server/users.d/evalforge.xml <<EVALFORGE_EOF');
    expect(SHELL.privateIp).toBe('$' + '{PRIVATE_IP}');
    expect(script).toContain(`<listen_host>${SHELL.privateIp}</listen_host>`);
    expect(script).toContain(`<secret>${SHELL.clusterSecret}</secret>`);
    expect(script).toContain(`<password_sha256_hex>${SHELL.loaderSha256}</password_sha256_hex>`);
    expect(script).toContain('LOADER_PASSWORD_SHA256=$(sha256 "$LOADER_PASSWORD")');
    expect(script).toContain("LOADER_PASSWORD=$(secret 'arn:l')");
    expect(script).toContain('unset LOADER_PASSWORD QUERY_PASSWORD ADMIN_PASSWORD');
    expect(script).not.toMatch(/<password>\$\{(LOADER|QUERY|ADMIN)_PASSWORD\}/);
  });

  it('installs the pinned version of every package, or the newest LTS without one', () => {
    expect(renderNodeUserData({ ...options, clickhouseVersion: '25.8.2.29' })).toContain(
      'dnf install -y clickhouse-common-static-25.8.2.29 clickhouse-server-25.8.2.29 clickhouse-client-25.8.2.29',
    );
    expect(renderNodeUserData(options)).toContain(
      'dnf install -y clickhouse-common-static clickhouse-server clickhouse-client',
    );
  });

  it('signals its own resource, and only once the server answers HTTPS at its name with a certificate of the CA', () => {
    const script = renderNodeUserData(options);
    expect(script).toContain("--resource 'ClickHouseShard1Replica1' --region 'eu-west-1'");
    expect(script).toContain(
      `curl -fsS --cacert /etc/clickhouse-server/tls/ca.crt "https://s1r1.${ZONE}:8443/ping" && exit 0`,
    );
    expect(script).not.toContain(':8123');
  });

  it('writes its key (0600, owner clickhouse), certificate and the CA from their secrets before the server starts', () => {
    const script = renderNodeUserData(options);
    const lines = script.split('\n');
    const key = '/etc/clickhouse-server/tls/node.key';
    const created = lines.indexOf(`  install -m 0600 -o clickhouse -g clickhouse /dev/null ${key}`);
    const written = lines.findIndex((l) => l.endsWith(`> ${key}`));
    expect(created).toBeGreaterThan(-1);
    expect(written).toBeGreaterThan(created);
    expect(lines[written]).toBe(
      `  secret "$2" | sed -n '/-BEGIN PRIVATE KEY-/,/-END PRIVATE KEY-/p' > ${key}`,
    );
    const call = lines.indexOf("tls /etc/clickhouse-server/tls 'arn:node-cert' 'arn:ca-cert'");
    expect(call).toBeGreaterThan(written);
    expect(call).toBeLessThan(lines.indexOf('systemctl restart clickhouse-server'));
    expect(script).toContain('  secret "$3" > /etc/clickhouse-server/tls/ca.crt');
    // A new generation changes the user data, so the node restarts and reads its new certificate.
    expect(script).toContain("CERTIFICATES_GENERATION='3'");
    expect(script).not.toMatch(/BEGIN (PRIVATE KEY|CERTIFICATE)-----\n/);
  });

  it('fails on text that would run as a command inside the heredoc', () => {
    expect(() => renderNodeUserData({ ...options, clientNetworks: ['$(reboot)'] })).toThrow(
      '/etc/clickhouse-server/users.d/evalforge.xml: the rendered text would not survive the shell heredoc',
    );
  });
});

describe('renderKeeperUserData', () => {
  it('renders Keeper user data that installs clickhouse-keeper and waits for the quorum peers', () => {
    const script = renderKeeperUserData({
      layout: { clusterName: 'evalforge', domainName: ZONE, shards: 3, replicas: 1, keeperNodes: 3 },
      serverId: 2,
      region: 'eu-west-1',
      tls: TLS,
      signal: { stackName: 'Analytics', logicalId: 'ClickHouseKeeper2', region: 'eu-west-1' },
      clickhouseVersion: '25.8.2.29',
    });
    expect(script).toContain('dnf install -y clickhouse-keeper-25.8.2.29');
    expect(script).toContain('<server_id>2</server_id>');
    expect(script).toContain("--resource 'ClickHouseKeeper2'");
    expect(script).toContain(`for host in keeper1.${ZONE} keeper2.${ZONE} keeper3.${ZONE}; do`);
  });
});

describe('renderKeeperUserData, TLS', () => {
  const script = renderKeeperUserData({
    layout: { clusterName: 'evalforge', domainName: ZONE, shards: 1, replicas: 1, keeperNodes: 3 },
    serverId: 1,
    region: 'eu-west-1',
    tls: TLS,
    signal: { stackName: 'Analytics', logicalId: 'ClickHouseKeeper1', region: 'eu-west-1' },
  });

  it("writes the Keeper node's key and certificate from its own secret, and the CA, before Keeper starts", () => {
    const lines = script.split('\n');
    expect(lines).toContain(
      'secret() { aws secretsmanager get-secret-value --region \'eu-west-1\' --secret-id "$1" --query SecretString --output text; }',
    );
    expect(lines).toContain(
      '  install -m 0600 -o clickhouse -g clickhouse /dev/null /etc/clickhouse-keeper/tls/node.key',
    );
    const call = lines.indexOf("tls /etc/clickhouse-keeper/tls 'arn:node-cert' 'arn:ca-cert'");
    expect(call).toBeGreaterThan(-1);
    expect(call).toBeLessThan(lines.indexOf('systemctl restart clickhouse-keeper'));
    expect(script).toContain('<tcp_port_secure>9281</tcp_port_secure>');
  });
});
