import { describe, expect, it } from 'vitest';
import { TIERED_STORAGE } from '../../../../clickhouse/retention.js';
import {
  DEFAULT_MOVE_FACTOR,
  renderStorageConfig,
  STORAGE_NAMES,
  StorageConfigError,
  type StorageConfigOptions,
} from '../../../../lib/constructs/clickhouse/storage-config.js';

const AWS: StorageConfigOptions = {
  endpoint: 'https://evalforge-cold.s3.eu-west-1.amazonaws.com/clickhouse/node-1/',
  region: 'eu-west-1',
  credentials: { source: 'instance-role' },
  cachePath: 'cold/',
  cacheMaxSizeBytes: 50 * 1024 ** 3,
  moveFactor: 0.2,
};

const LOCAL: StorageConfigOptions = {
  endpoint: 'http://127.0.0.1:4569/cold/node-1/',
  region: 'us-east-1',
  credentials: { source: 'keys', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  cachePath: 'cold/',
  cacheMaxSizeBytes: 64 * 1024 ** 2,
  metadataPath: '/tmp/data/disks/cold/',
};

/** The text of `<tag>` directly inside `<parent>`, or undefined. */
function inside(xml: string, parent: string, tag: string): string | undefined {
  const block = new RegExp(`<${parent}>([\\s\\S]*?)</${parent}>`).exec(xml)?.[1];
  return block === undefined ? undefined : new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(block)?.[1];
}

describe('renderStorageConfig', () => {
  it.each([
    ['the instance role', AWS],
    ['explicit keys', LOCAL],
  ])('renders the S3 disk, its cache and the tiered policy with %s', (_, options) => {
    const xml = renderStorageConfig(options);
    expect(xml.startsWith('<clickhouse>\n    <storage_configuration>')).toBe(true);
    expect(inside(xml, STORAGE_NAMES.s3Disk, 'type')).toBe('s3');
    expect(inside(xml, STORAGE_NAMES.s3Disk, 'endpoint')).toBe(options.endpoint);
    expect(inside(xml, STORAGE_NAMES.s3Disk, 'region')).toBe(options.region);
    expect(inside(xml, STORAGE_NAMES.cacheDisk, 'type')).toBe('cache');
    expect(inside(xml, STORAGE_NAMES.cacheDisk, 'disk')).toBe(STORAGE_NAMES.s3Disk);
    expect(inside(xml, STORAGE_NAMES.cacheDisk, 'path')).toBe(options.cachePath);
    expect(inside(xml, STORAGE_NAMES.cacheDisk, 'max_size')).toBe(String(options.cacheMaxSizeBytes));
    expect(inside(xml, STORAGE_NAMES.hotVolume, 'disk')).toBe('default');
    const volumes = /<volumes>([\s\S]*)<\/volumes>/.exec(xml)?.[1] ?? '';
    expect([...volumes.matchAll(/<(\w+)>\s*<disk>(\w+)<\/disk>/g)].map((m) => [m[1], m[2]])).toEqual([
      ['default', 'default'],
      ['cold', 'cold_cache'],
    ]);
    expect(inside(xml, STORAGE_NAMES.policy, 'move_factor')).toBe(
      String(options.moveFactor ?? DEFAULT_MOVE_FACTOR),
    );
  });

  it.each([
    ['the instance role', AWS, ['use_environment_credentials'], ['access_key_id', 'secret_access_key']],
    ['explicit keys', LOCAL, ['access_key_id', 'secret_access_key'], ['use_environment_credentials']],
  ])('signs with %s and nothing else', (_, options, present, absent) => {
    const xml = renderStorageConfig(options);
    for (const tag of present) expect(inside(xml, STORAGE_NAMES.s3Disk, tag)).toBeDefined();
    for (const tag of absent) expect(xml).not.toContain(`<${tag}>`);
    if (options.credentials.source === 'instance-role') {
      expect(inside(xml, STORAGE_NAMES.s3Disk, 'use_environment_credentials')).toBe('true');
    }
  });

  it.each([
    ['without metadataPath, leaves the metadata to ClickHouse', AWS, undefined],
    ['with metadataPath, puts the metadata there', LOCAL, LOCAL.metadataPath],
  ])('%s', (_, options, expected) => {
    expect(inside(renderStorageConfig(options), STORAGE_NAMES.s3Disk, 'metadata_path')).toBe(expected);
  });

  it('escapes XML in the values', () => {
    const xml = renderStorageConfig({
      ...LOCAL,
      endpoint: 'http://127.0.0.1:4569/cold/a&b/',
      credentials: { source: 'keys', accessKeyId: 'A<B', secretAccessKey: `s"e'c>r&t` },
    });
    expect(inside(xml, STORAGE_NAMES.s3Disk, 'endpoint')).toBe('http://127.0.0.1:4569/cold/a&amp;b/');
    expect(inside(xml, STORAGE_NAMES.s3Disk, 'access_key_id')).toBe('A&lt;B');
    expect(inside(xml, STORAGE_NAMES.s3Disk, 'secret_access_key')).toBe('s&quot;e&apos;c&gt;r&amp;t');
  });

  it.each<[string, Partial<StorageConfigOptions>, RegExp]>([
    [
      'an endpoint without a trailing slash',
      { endpoint: 'https://b.s3.amazonaws.com/p' },
      /^endpoint must be/,
    ],
    ['an endpoint that is not a URL', { endpoint: 'bucket/prefix/' }, /^endpoint must be/],
    ['an endpoint that is not http(s)', { endpoint: 's3://bucket/prefix/' }, /^endpoint must be/],
    ['an empty region', { region: '' }, /^region must be/],
    ['a region with spaces', { region: 'eu west 1' }, /^region must be/],
    [
      'an empty access key id',
      { credentials: { source: 'keys', accessKeyId: ' ', secretAccessKey: 'x' } },
      /^credentials\.accessKeyId must be/,
    ],
    [
      'an empty secret access key',
      { credentials: { source: 'keys', accessKeyId: 'x', secretAccessKey: '' } },
      /^credentials\.secretAccessKey must be/,
    ],
    ['an absolute cache path', { cachePath: '/var/lib/clickhouse/caches/cold/' }, /^cachePath must be/],
    ['a cache path without a trailing slash', { cachePath: 'cold' }, /^cachePath must be/],
    ['a cache path climbing out', { cachePath: '../cold/' }, /^cachePath must be/],
    ['an empty cache path', { cachePath: '' }, /^cachePath must be/],
    ['a relative metadata path', { metadataPath: 'disks/cold/' }, /^metadataPath must be/],
    ['a zero cache size', { cacheMaxSizeBytes: 0 }, /^cacheMaxSizeBytes must be/],
    ['a fractional cache size', { cacheMaxSizeBytes: 1.5 }, /^cacheMaxSizeBytes must be/],
    ['a cache size that is not a number', { cacheMaxSizeBytes: Number.NaN }, /^cacheMaxSizeBytes must be/],
    ['a move factor of 0', { moveFactor: 0 }, /^moveFactor must be/],
    ['a move factor of 1', { moveFactor: 1 }, /^moveFactor must be/],
    ['a negative move factor', { moveFactor: -0.1 }, /^moveFactor must be/],
  ])('rejects %s, naming the option', (_, change, message) => {
    const render = () => renderStorageConfig({ ...LOCAL, ...change });
    expect(render).toThrow(StorageConfigError);
    expect(render).toThrow(message);
  });

  it('rejects an empty secret without printing it', () => {
    const render = () =>
      renderStorageConfig({
        ...LOCAL,
        credentials: { source: 'keys', accessKeyId: 'x', secretAccessKey: ' ' },
      });
    expect(render).toThrow('credentials.secretAccessKey must be non-empty, got ""');
  });
});

describe('the names the retention statements use', () => {
  it('are the ones the configuration defines: the policy, and the volume parts move to', () => {
    expect(TIERED_STORAGE).toEqual({ policy: STORAGE_NAMES.policy, coldVolume: STORAGE_NAMES.coldVolume });
  });
});
