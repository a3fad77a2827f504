import { describe, expect, it } from 'vitest';
import { dataNodeName, dataNodes } from '../../../../lib/constructs/clickhouse/cluster-layout.js';
import { renderServerConfig } from '../../../../lib/constructs/clickhouse/server-config.js';
import { layoutOf, SHAPES, ZONE } from './shapes.js';

describe.each(SHAPES)('renderServerConfig, $label', (shape) => {
  const layout = layoutOf(shape);

  it('names every shard, replica and Keeper node, and the node itself in its macros', () => {
    for (const node of dataNodes(shape)) {
      const xml = renderServerConfig(layout, node, { listenHost: '10.0.1.5', clusterSecret: 's3cret' });
      expect(xml.match(/<shard>\n/g)).toHaveLength(shape.shards);
      expect(xml.match(/<internal_replication>true<\/internal_replication>/g)).toHaveLength(shape.shards);
      for (const peer of dataNodes(shape))
        expect(xml).toContain(`<host>${dataNodeName(peer)}.${ZONE}</host>`);
      expect(xml.match(/<replica>\s*<host>/g)).toHaveLength(shape.shards * shape.replicas);
      for (let k = 1; k <= shape.keeperNodes; k++) expect(xml).toContain(`<host>keeper${k}.${ZONE}</host>`);
      expect(xml.includes('<zookeeper>')).toBe(shape.keeperNodes > 0);
      expect(xml).toContain(`<shard>${node.shard}</shard>\n        <replica>${dataNodeName(node)}</replica>`);
      expect(xml).toContain('<listen_host>10.0.1.5</listen_host>');
      expect(xml).toContain('<secret>s3cret</secret>');
    }
  });
});

describe('renderServerConfig', () => {
  it('lists the replicas of each shard inside that shard on the secure native port, and Keeper on its secure client port', () => {
    const xml = renderServerConfig(
      { clusterName: 'evalforge', domainName: ZONE, shards: 2, replicas: 2, keeperNodes: 3 },
      { shard: 2, replica: 1 },
      { listenHost: '10.0.1.5', clusterSecret: 's3cret' },
    );
    const shards = [...xml.matchAll(/<shard>\n([\s\S]*?)<\/shard>/g)].map((m) =>
      [...(m[1] ?? '').matchAll(/<host>([^<]+)<\/host>\s*<port>9440<\/port>\s*<secure>1<\/secure>/g)].map(
        (h) => h[1],
      ),
    );
    expect(shards).toEqual([
      [`s1r1.${ZONE}`, `s1r2.${ZONE}`],
      [`s2r1.${ZONE}`, `s2r2.${ZONE}`],
    ]);
    expect(
      [...xml.matchAll(/<node>\s*<host>([^<]+)<\/host>\s*<port>9281<\/port>\s*<secure>1<\/secure>/g)].map(
        (m) => m[1],
      ),
    ).toEqual([`keeper1.${ZONE}`, `keeper2.${ZONE}`, `keeper3.${ZONE}`]);
    expect(xml).toContain(`<interserver_http_host>s2r1.${ZONE}</interserver_http_host>`);
  });
});

describe('renderServerConfig, TLS', () => {
  const xml = renderServerConfig(
    { clusterName: 'evalforge', domainName: ZONE, shards: 2, replicas: 2, keeperNodes: 3 },
    { shard: 1, replica: 2 },
    { listenHost: '10.0.1.5', clusterSecret: 's3cret' },
  );
  const section = (name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1] ?? '';

  it('serves HTTPS, secure native and interserver HTTPS, and switches plain HTTP and interserver HTTP off', () => {
    expect(xml).toContain('<https_port>8443</https_port>');
    expect(xml).toContain('<tcp_port_secure>9440</tcp_port_secure>');
    expect(xml).toContain('<interserver_https_port>9010</interserver_https_port>');
    expect(xml).toContain('<http_port remove="1"/>');
    expect(xml).toContain('<interserver_http_port remove="1"/>');
    expect(xml).not.toMatch(/<http_port>|<interserver_http_port>/);
  });

  it('reaches every replica and every Keeper node over TLS only', () => {
    expect(xml.match(/<replica>\s*<host>/g)).toHaveLength(4);
    expect(xml.match(/<port>9440<\/port>\s*<secure>1<\/secure>/g)).toHaveLength(4);
    expect(xml.match(/<port>9281<\/port>\s*<secure>1<\/secure>/g)).toHaveLength(3);
    expect(xml).not.toMatch(/<port>(9000|9181)<\/port>/);
  });

  it('serves its own key and certificate, and verifies the peers it calls against the CA (and the system CAs, for S3)', () => {
    const server = section('server');
    expect(server).toContain('<certificateFile>/etc/clickhouse-server/tls/node.crt</certificateFile>');
    expect(server).toContain('<privateKeyFile>/etc/clickhouse-server/tls/node.key</privateKeyFile>');
    expect(server).toContain('<verificationMode>none</verificationMode>');
    const client = section('client');
    expect(client).toContain('<caConfig>/etc/clickhouse-server/tls/ca.crt</caConfig>');
    expect(client).toContain('<verificationMode>strict</verificationMode>');
    expect(client).toContain('<loadDefaultCAFile>true</loadDefaultCAFile>');
    expect(client).toContain('<name>RejectCertificateHandler</name>');
    for (const side of [server, client]) {
      expect(side).toContain('<disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>');
    }
  });
});
