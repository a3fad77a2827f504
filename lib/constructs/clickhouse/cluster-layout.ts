/**
 * The ports the nodes listen on. Inside the VPC every connection is TLS: clients on `https`, nodes
 * among themselves on `nativeSecure`, `interserverHttps` and `keeperClientSecure`, Keeper nodes on
 * `keeperRaft` (secure raft). The plain ports left (`native`, `keeperClient`) serve the node's own
 * checks and tools, and no security group admits them; plain HTTP is not served at all.
 */
export const CLICKHOUSE_PORTS = {
  /** The client port: HTTPS, the only one open to the clients' security group. */
  https: 8443,
  /** Native protocol, plain: clickhouse-client on the node itself. */
  native: 9000,
  /** Native protocol over TLS between nodes: Distributed queries and inserts. */
  nativeSecure: 9440,
  /** Interserver HTTPS: replicas fetch parts from each other. */
  interserverHttps: 9010,
  /** Keeper's plain client port: the Keeper node's own health check. */
  keeperClient: 9181,
  /** Keeper's client port over TLS, which data nodes connect to. */
  keeperClientSecure: 9281,
  /** Keeper's raft port among Keeper nodes, TLS (`raft_configuration` `secure`). */
  keeperRaft: 9234,
} as const;

/**
 * Where a node keeps its TLS files (written at boot from Secrets Manager): its key (mode 0600),
 * its certificate, and the cluster's CA certificate that every peer is verified against.
 */
export function tlsFiles(directory: string): { key: string; certificate: string; ca: string } {
  return { key: `${directory}/node.key`, certificate: `${directory}/node.crt`, ca: `${directory}/ca.crt` };
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

/** Every Keeper node's raft server id: 1..keeperNodes. */
export function keeperServerIds(layout: Pick<ClusterLayout, 'keeperNodes'>): number[] {
  return Array.from({ length: layout.keeperNodes }, (_, k) => k + 1);
}

/** `s1r1.clickhouse.evalforge.internal`: a node's name in the cluster's private zone. */
export function fqdn(layout: Pick<ClusterLayout, 'domainName'>, label: string): string {
  return `${label}.${layout.domainName}`;
}

/** `https://<host>:8443`: where a client reaches a node, or the zone apex that lists them all. */
export function httpsUrl(host: string): string {
  return `https://${host}:${CLICKHOUSE_PORTS.https}`;
}

/** The topology the migrations render for: Replicated engines and `ON CLUSTER` need Keeper. */
export function isReplicatedCluster(layout: Pick<ClusterLayout, 'keeperNodes'>): boolean {
  return layout.keeperNodes > 0;
}
