import { describe, expect, it } from 'vitest';
import { readShardUrls } from '../../../functions/load/deps.js';

describe('CLICKHOUSE_SHARD_URLS', () => {
  it('reads the shards, each its replicas, in order', () => {
    const value = JSON.stringify([
      ['http://s1r1:8123', 'http://s1r2:8123'],
      ['http://s2r1:8123', 'http://s2r2:8123'],
    ]);
    expect(readShardUrls({ CLICKHOUSE_SHARD_URLS: value })).toEqual([
      ['http://s1r1:8123', 'http://s1r2:8123'],
      ['http://s2r1:8123', 'http://s2r2:8123'],
    ]);
  });

  it('is optional: unset, the loader keeps inserting through one URL', () => {
    expect(readShardUrls({})).toBeUndefined();
  });

  it.each([
    ['not JSON', '[[', /CLICKHOUSE_SHARD_URLS.*not JSON/],
    ['no shard', '[]', /at least one shard/],
    ['a shard with no replica', '[[]]', /at least one replica/],
    ['a value that is not a URL', '[["s1r1"]]', /CLICKHOUSE_SHARD_URLS/],
    [
      'shards of different sizes',
      '[["http://a:8123"],["http://b:8123","http://c:8123"]]',
      /same number of replicas/,
    ],
  ])('rejects %s, naming the variable', (_, value, message) => {
    expect(() => readShardUrls({ CLICKHOUSE_SHARD_URLS: value })).toThrow(message);
  });
});
