/** The ports the nodes listen on; only `http` is open to clients (see the construct's security groups). */
export const CLICKHOUSE_PORTS = {
  /** The client port: plain HTTP inside the VPC. */
  http: 8123,
  /** Native protocol between nodes: Distributed queries and inserts. */
  native: 9000,
  /** Interserver HTTP: replicas fetch parts from each other. */
  interserver: 9009,
  /** Keeper's client port, which data nodes connect to. */
  keeperClient: 9181,
  /** Keeper's raft port, among Keeper nodes. */
  keeperRaft: 9234,
} as const;

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

/** `http://<host>:8123`: where a client reaches a node, or the zone apex that lists them all. */
export function httpUrl(host: string): string {
  return `http://${host}:${CLICKHOUSE_PORTS.http}`;
}

/** The topology the migrations render for: Replicated engines and `ON CLUSTER` need Keeper. */
export function isReplicatedCluster(layout: Pick<ClusterLayout, 'keeperNodes'>): boolean {
  return layout.keeperNodes > 0;
}
