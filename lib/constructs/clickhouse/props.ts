import { InstanceArchitecture, InstanceType, type IVpc, type SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { type TableRetention, validateRetention } from '../../../clickhouse/retention.js';
import { GP3_LIMITS } from '../../gp3-limits.js';
import type { ClickHouseSpec } from '../../tiers.js';
import type { ClusterLayout } from './cluster-layout.js';

/** Props the cluster cannot be built from; the message names the prop and what it must be. */
export class ClickHouseClusterPropsError extends Error {
  override readonly name = 'ClickHouseClusterPropsError';
}

/** The cluster's size and placement: a stack passes its tier's `clickhouse` slice and the VPC. */
export interface ClickHouseClusterProps extends ClickHouseSpec {
  /** The VPC; nodes go in its private subnets with egress (the package repository is reached through NAT). */
  readonly vpc: IVpc;
  /**
   * How long the tables keep what (the tier's `retention`): the migrations custom resource applies
   * it after the migrations and again whenever it changes. `hotDays` is when parts move from the
   * gp3 volume to the S3 disk; `null` keeps every part on the volume.
   */
  readonly retention: TableRetention;
  /**
   * Where the nodes and the migration function go.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: SubnetSelection;
  /**
   * The `remote_servers` cluster the migrations name in `ON CLUSTER` and `Distributed(...)`.
   * @default 'evalforge'
   */
  readonly clusterName?: string;
  /**
   * The private hosted zone holding one name per node and the cluster's name.
   * @default 'clickhouse.evalforge.internal'
   */
  readonly domainName?: string;
  /**
   * A ClickHouse version to install (`25.8.2.29`) from packages.clickhouse.com. Pin it before a
   * tier grows: a node added later otherwise installs a newer release than its peers.
   * @default - the newest release of the LTS channel when each node first boots
   */
  readonly clickhouseVersion?: string;
  /**
   * The root volume of every node, GiB (the OS, the ClickHouse binaries and its logs; Keeper's
   * coordination log and snapshots on keeper nodes).
   * @default 30
   */
  readonly rootVolumeGiB?: number;
  /**
   * The generation of the cluster's CA and node certificates (certificates.ts): a new value issues
   * a new CA and a new certificate for every node, and restarts every node to load them. Rotate
   * by incrementing it.
   * @default 1
   */
  readonly certificateGeneration?: number;
}

function requireInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}–${max}`;
    throw new ClickHouseClusterPropsError(`${name} must be an integer ${range}, got ${value}`);
  }
}

function requireX86(name: string, type: string): void {
  let architecture: InstanceArchitecture;
  try {
    architecture = new InstanceType(type).architecture;
  } catch (error) {
    throw new ClickHouseClusterPropsError(
      `${name} ${type} is not an instance type: ${(error as Error).message}`,
    );
  }
  if (architecture !== InstanceArchitecture.X86_64) {
    throw new ClickHouseClusterPropsError(
      `${name} ${type} is ${architecture}; the nodes run Amazon Linux 2023 x86_64 (c5, t3, …)`,
    );
  }
}

/**
 * The most of the data volume the S3 disk's cache may take: the mover keeps a quarter of the
 * volume free for merges (storage-config.ts), and the cache must leave most of the rest to the
 * hot parts it competes with.
 */
export const MAX_COLD_CACHE_FRACTION = 0.1;

/** Fails with a message naming the prop on anything the cluster cannot be built from. */
export function validateClusterProps(props: Omit<ClickHouseClusterProps, 'vpc' | 'vpcSubnets'>): void {
  requireInteger('shards', props.shards, 1);
  requireInteger('replicas', props.replicas, 1);
  requireInteger('keeperNodes', props.keeperNodes, 0);
  if (props.keeperNodes % 2 === 0 && props.keeperNodes > 0) {
    throw new ClickHouseClusterPropsError(
      `keeperNodes must be 0 or odd (a raft quorum of an even count tolerates no more failures than one node fewer), got ${props.keeperNodes}`,
    );
  }
  if (props.keeperNodes === 0 && props.replicas > 1) {
    throw new ClickHouseClusterPropsError(
      `replicas ${props.replicas} needs ClickHouse Keeper for replication: set keeperNodes to 3 (got 0)`,
    );
  }
  if (props.keeperNodes === 0 && props.shards > 1) {
    throw new ClickHouseClusterPropsError(
      `shards ${props.shards} needs ClickHouse Keeper for ON CLUSTER migrations: set keeperNodes to 3 (got 0)`,
    );
  }
  requireX86('instanceType', props.instanceType);
  requireX86('keeperInstanceType', props.keeperInstanceType);
  requireInteger('volumeGiB', props.volumeGiB, GP3_LIMITS.minGiB, GP3_LIMITS.maxGiB);
  requireInteger('volumeIops', props.volumeIops, GP3_LIMITS.minIops, GP3_LIMITS.maxIops);
  requireInteger(
    'volumeThroughputMiBps',
    props.volumeThroughputMiBps,
    GP3_LIMITS.minThroughputMiBps,
    GP3_LIMITS.maxThroughputMiBps,
  );
  if (props.volumeIops > props.volumeGiB * GP3_LIMITS.maxIopsPerGiB) {
    throw new ClickHouseClusterPropsError(
      `volumeIops ${props.volumeIops} exceeds gp3's ${GP3_LIMITS.maxIopsPerGiB} IOPS per GiB of volumeGiB ${props.volumeGiB}`,
    );
  }
  if (props.volumeThroughputMiBps > props.volumeIops * GP3_LIMITS.maxThroughputMiBpsPerIops) {
    throw new ClickHouseClusterPropsError(
      `volumeThroughputMiBps ${props.volumeThroughputMiBps} exceeds gp3's ${GP3_LIMITS.maxThroughputMiBpsPerIops} MiB/s per IOPS of volumeIops ${props.volumeIops}`,
    );
  }
  requireInteger('coldCacheGiB', props.coldCacheGiB, 1);
  if (props.coldCacheGiB > props.volumeGiB * MAX_COLD_CACHE_FRACTION) {
    throw new ClickHouseClusterPropsError(
      `coldCacheGiB ${props.coldCacheGiB} exceeds ${MAX_COLD_CACHE_FRACTION * 100}% of volumeGiB ${props.volumeGiB}: the S3 disk's cache shares the data volume with the hot parts and the quarter kept free for merges`,
    );
  }
  try {
    validateRetention(props.retention);
  } catch (error) {
    throw new ClickHouseClusterPropsError((error as Error).message);
  }
  if (props.rootVolumeGiB !== undefined) requireInteger('rootVolumeGiB', props.rootVolumeGiB, 8, 16_384);
  if (props.clusterName !== undefined && !/^[a-z_][a-z0-9_]*$/.test(props.clusterName)) {
    throw new ClickHouseClusterPropsError(
      `clusterName must match [a-z_][a-z0-9_]*, got "${props.clusterName}"`,
    );
  }
  if (
    props.domainName !== undefined &&
    !/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]+$/.test(props.domainName)
  ) {
    throw new ClickHouseClusterPropsError(
      `domainName must be a lower-case DNS name, got "${props.domainName}"`,
    );
  }
  if (
    props.certificateGeneration !== undefined &&
    (!Number.isInteger(props.certificateGeneration) || props.certificateGeneration < 1)
  ) {
    throw new ClickHouseClusterPropsError(
      `certificateGeneration must be a whole number from 1, got ${props.certificateGeneration}`,
    );
  }
  if (props.clickhouseVersion !== undefined && !/^\d+\.\d+(\.\d+){0,2}$/.test(props.clickhouseVersion)) {
    throw new ClickHouseClusterPropsError(
      `clickhouseVersion must be a release number such as 25.8.2.29, got "${props.clickhouseVersion}"`,
    );
  }
}

/** The layout `props` describe, with the defaults of `clusterName` and `domainName` applied. */
export function clusterLayout(
  props: Pick<ClickHouseClusterProps, 'shards' | 'replicas' | 'keeperNodes' | 'clusterName' | 'domainName'>,
): ClusterLayout {
  return {
    clusterName: props.clusterName ?? 'evalforge',
    domainName: props.domainName ?? 'clickhouse.evalforge.internal',
    shards: props.shards,
    replicas: props.replicas,
    keeperNodes: props.keeperNodes,
  };
}
