import { describe, expect, it } from 'vitest';
import {
  dataNodeName,
  dataNodes,
  fqdn,
  httpsUrl,
  isReplicatedCluster,
  keeperNodeName,
  keeperServerIds,
} from '../../../../lib/constructs/clickhouse/cluster-layout.js';

describe('cluster layout', () => {
  it('lists the data nodes shard by shard, each named by shard and replica', () => {
    expect(dataNodes({ shards: 3, replicas: 2 }).map(dataNodeName)).toEqual([
      's1r1',
      's1r2',
      's2r1',
      's2r2',
      's3r1',
      's3r2',
    ]);
  });

  it.each([
    [0, []],
    [3, ['keeper1', 'keeper2', 'keeper3']],
  ])('names %i Keeper nodes by their raft server ids', (keeperNodes, names) => {
    expect(keeperServerIds({ keeperNodes }).map(keeperNodeName)).toEqual(names);
  });

  it('addresses a node by its name in the zone, over HTTPS on the client port', () => {
    const host = fqdn({ domainName: 'clickhouse.evalforge.internal' }, 's2r1');
    expect(host).toBe('s2r1.clickhouse.evalforge.internal');
    expect(httpsUrl(host)).toBe('https://s2r1.clickhouse.evalforge.internal:8443');
  });

  it.each([
    [0, false],
    [1, true],
    [3, true],
  ])('with %i Keeper nodes, replicated: %s', (keeperNodes, replicated) => {
    expect(isReplicatedCluster({ keeperNodes })).toBe(replicated);
  });
});
