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
  it('lists the replicas of each shard inside that shard, native port, and Keeper on its client port', () => {
    const xml = renderServerConfig(
      { clusterName: 'evalforge', domainName: ZONE, shards: 2, replicas: 2, keeperNodes: 3 },
      { shard: 2, replica: 1 },
      { listenHost: '10.0.1.5', clusterSecret: 's3cret' },
    );
    const shards = [...xml.matchAll(/<shard>\n([\s\S]*?)<\/shard>/g)].map((m) =>
      [...(m[1] ?? '').matchAll(/<host>([^<]+)<\/host>\s*<port>9000<\/port>/g)].map((h) => h[1]),
    );
    expect(shards).toEqual([
      [`s1r1.${ZONE}`, `s1r2.${ZONE}`],
      [`s2r1.${ZONE}`, `s2r2.${ZONE}`],
    ]);
    expect(
      [...xml.matchAll(/<node>\s*<host>([^<]+)<\/host>\s*<port>9181<\/port>/g)].map((m) => m[1]),
    ).toEqual([`keeper1.${ZONE}`, `keeper2.${ZONE}`, `keeper3.${ZONE}`]);
    expect(xml).toContain(`<interserver_http_host>s2r1.${ZONE}</interserver_http_host>`);
  });
});
