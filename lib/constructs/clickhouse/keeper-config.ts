import {
  CLICKHOUSE_PORTS,
  type ClusterLayout,
  fqdn,
  keeperNodeName,
  keeperServerIds,
  tlsFiles,
} from './cluster-layout.js';
import { renderOpenSslConfig } from './tls-config.js';

/** Where a Keeper node keeps its key, certificate and the CA (the boot script writes them). */
export const KEEPER_TLS_DIRECTORY = '/etc/clickhouse-keeper/tls';

/**
 * `keeper_config.xml` of Keeper node `serverId`: the raft ensemble by the nodes' private names,
 * raft over TLS, and the data nodes' client port over TLS. The plain client port stays for the
 * node's own health check; no security group admits it.
 */
export function renderKeeperConfig(
  layout: ClusterLayout,
  serverId: number,
  options: { readonly listenHost: string },
): string {
  const servers = keeperServerIds(layout).map((id) =>
    [
      '            <server>',
      `                <id>${id}</id>`,
      `                <hostname>${fqdn(layout, keeperNodeName(id))}</hostname>`,
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
    ...renderOpenSslConfig(tlsFiles(KEEPER_TLS_DIRECTORY), { systemCasToo: false }),
    '    <keeper_server>',
    `        <tcp_port>${CLICKHOUSE_PORTS.keeperClient}</tcp_port>`,
    `        <tcp_port_secure>${CLICKHOUSE_PORTS.keeperClientSecure}</tcp_port_secure>`,
    `        <server_id>${serverId}</server_id>`,
    '        <log_storage_path>/var/lib/clickhouse/coordination/logs</log_storage_path>',
    '        <snapshot_storage_path>/var/lib/clickhouse/coordination/snapshots</snapshot_storage_path>',
    '        <coordination_settings>',
    '            <operation_timeout_ms>10000</operation_timeout_ms>',
    '            <session_timeout_ms>30000</session_timeout_ms>',
    '            <raft_logs_level>warning</raft_logs_level>',
    '        </coordination_settings>',
    '        <raft_configuration>',
    '            <secure>true</secure>',
    ...servers,
    '        </raft_configuration>',
    '    </keeper_server>',
    '</clickhouse>',
    '',
  ].join('\n');
}
