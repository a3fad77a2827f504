import { describe, expect, it } from 'vitest';
import { loaderClientConfig, readShardUrls } from '../../../functions/load/deps.js';
import { LOADER_REQUEST_GZIP_LEVEL } from '../../../functions/shared/load/insert-path.js';

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

describe('loaderClientConfig', () => {
  it("gzips a server's insert bodies at the loader's level", () => {
    const config = { kind: 'http', url: 'https://ch:8443', username: 'u', password: 'p' } as const;
    expect(loaderClientConfig(config)).toEqual({ ...config, requestGzipLevel: LOADER_REQUEST_GZIP_LEVEL });
    expect(LOADER_REQUEST_GZIP_LEVEL).toBe(1);
  });

  it('leaves the embedded engine as it is', () => {
    const config = { kind: 'embedded', path: '/tmp/db' } as const;
    expect(loaderClientConfig(config)).toEqual(config);
  });
});
