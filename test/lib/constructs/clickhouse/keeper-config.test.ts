import { describe, expect, it } from 'vitest';
import { renderKeeperConfig } from '../../../../lib/constructs/clickhouse/keeper-config.js';
import { layoutOf, SHAPES, ZONE } from './shapes.js';

describe.each(SHAPES.filter((shape) => shape.keeperNodes > 0))('renderKeeperConfig, $label', (shape) => {
  it('gives each Keeper node its server id and the raft ensemble by name, ids 1..N', () => {
    for (let id = 1; id <= shape.keeperNodes; id++) {
      const xml = renderKeeperConfig(layoutOf(shape), id, { listenHost: '10.0.2.7' });
      expect(xml).toContain(`<server_id>${id}</server_id>`);
      expect(xml).toContain('<listen_host>10.0.2.7</listen_host>');
      expect(xml).toContain('<tcp_port>9181</tcp_port>');
      const servers = [
        ...xml.matchAll(/<id>(\d+)<\/id>\s*<hostname>([^<]+)<\/hostname>\s*<port>9234<\/port>/g),
      ];
      expect(servers.map((m) => [Number(m[1]), m[2]])).toEqual(
        Array.from({ length: shape.keeperNodes }, (_, k) => [k + 1, `keeper${k + 1}.${ZONE}`]),
      );
    }
  });
});

describe('renderKeeperConfig, TLS', () => {
  const xml = renderKeeperConfig(
    { clusterName: 'evalforge', domainName: ZONE, shards: 1, replicas: 1, keeperNodes: 3 },
    2,
    { listenHost: '10.0.2.7' },
  );
  const section = (name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1] ?? '';

  it('runs raft over TLS and serves the data nodes on the secure client port', () => {
    expect(section('raft_configuration')).toMatch(/^\s*<secure>true<\/secure>/);
    expect(section('keeper_server')).toContain('<tcp_port_secure>9281</tcp_port_secure>');
  });

  it('serves its own key and certificate and verifies its raft peers against the CA only', () => {
    const server = section('server');
    expect(server).toContain('<certificateFile>/etc/clickhouse-keeper/tls/node.crt</certificateFile>');
    expect(server).toContain('<privateKeyFile>/etc/clickhouse-keeper/tls/node.key</privateKeyFile>');
    expect(server).toContain('<caConfig>/etc/clickhouse-keeper/tls/ca.crt</caConfig>');
    const client = section('client');
    expect(client).toContain('<caConfig>/etc/clickhouse-keeper/tls/ca.crt</caConfig>');
    expect(client).toContain('<verificationMode>strict</verificationMode>');
    expect(client).toContain('<loadDefaultCAFile>false</loadDefaultCAFile>');
  });
});
