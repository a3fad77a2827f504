import {
  CLICKHOUSE_PORTS,
  type ClusterLayout,
  type DataNode,
  dataNodeName,
  fqdn,
  keeperNodeName,
  keeperServerIds,
} from './cluster-layout.js';

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
  const keepers = keeperServerIds(layout).map((id) =>
    [
      '        <node>',
      `            <host>${fqdn(layout, keeperNodeName(id))}</host>`,
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
