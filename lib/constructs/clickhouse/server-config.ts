import {
  CLICKHOUSE_PORTS,
  type ClusterLayout,
  type DataNode,
  dataNodeName,
  fqdn,
  keeperNodeName,
  keeperServerIds,
  tlsFiles,
} from './cluster-layout.js';
import { renderOpenSslConfig } from './tls-config.js';

/** Where a data node keeps its key, certificate and the CA (the boot script writes them). */
export const SERVER_TLS_DIRECTORY = '/etc/clickhouse-server/tls';

/**
 * `config.d/evalforge.xml` of one data node: where it listens, its macros, the whole cluster by
 * the nodes' private names, and the Keeper ensemble (replicated clusters only). Every port it
 * serves to the VPC is TLS (HTTPS for clients, secure native and interserver HTTPS for peers) and
 * it reaches its peers and Keeper over TLS, verifying them against the cluster's CA; plain HTTP
 * and interserver HTTP are switched off.
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
        `                    <port>${CLICKHOUSE_PORTS.nativeSecure}</port>`,
        '                    <secure>1</secure>',
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
      `            <port>${CLICKHOUSE_PORTS.keeperClientSecure}</port>`,
      '            <secure>1</secure>',
      '        </node>',
    ].join('\n'),
  );
  const name = dataNodeName(node);
  return [
    '<clickhouse>',
    `    <listen_host>${options.listenHost}</listen_host>`,
    '    <listen_host>127.0.0.1</listen_host>',
    '    <http_port remove="1"/>',
    `    <https_port>${CLICKHOUSE_PORTS.https}</https_port>`,
    `    <tcp_port_secure>${CLICKHOUSE_PORTS.nativeSecure}</tcp_port_secure>`,
    '    <interserver_http_port remove="1"/>',
    `    <interserver_https_port>${CLICKHOUSE_PORTS.interserverHttps}</interserver_https_port>`,
    ...renderOpenSslConfig(tlsFiles(SERVER_TLS_DIRECTORY), { systemCasToo: true }),
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
