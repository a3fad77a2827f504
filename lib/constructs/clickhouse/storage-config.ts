import { Token, Tokenization } from 'aws-cdk-lib';

/** Storage options the configuration cannot be rendered from; the message names the option. */
export class StorageConfigError extends Error {
  override readonly name = 'StorageConfigError';
}

/** The names the rendered configuration defines, for the tables' `SETTINGS` and `TTL … TO VOLUME`. */
export const STORAGE_NAMES = {
  /** The policy a table names in `SETTINGS storage_policy = …`. */
  policy: 'tiered',
  /**
   * The first volume: the `default` disk, on the node's gp3 data volume. Named `default` because a
   * table's policy may only change to one holding every volume of its current one, by name: the
   * migrated tables are on the `default` policy, whose one volume is `default`, and with any other
   * name ClickHouse refuses `MODIFY SETTING storage_policy = 'tiered'`.
   */
  hotVolume: 'default',
  /** The second volume: the S3 disk behind its local cache. */
  coldVolume: 'cold',
  /** The S3 disk itself. */
  s3Disk: 'cold',
  /** The filesystem cache over the S3 disk; the cold volume's disk, so parts there show this name. */
  cacheDisk: 'cold_cache',
} as const;

/** How the node signs its S3 requests. */
export type StorageCredentials =
  /** The instance role, from the instance metadata service (deployed nodes). */
  | { readonly source: 'instance-role' }
  /** A fixed key pair (the local S3 API, which knows one key). */
  | { readonly source: 'keys'; readonly accessKeyId: string; readonly secretAccessKey: string };

/** What `renderStorageConfig` needs: the cold tier's bucket, the cache on the data disk, the mover's threshold. */
export interface StorageConfigOptions {
  /**
   * The S3 prefix the cold disk writes under, as an http(s) URL ending with '/', e.g.
   * `https://bucket.s3.eu-west-1.amazonaws.com/clickhouse/node-1/`. Each node needs its own prefix:
   * its objects are named by its local metadata only. Its host may be a CDK token (the bucket's
   * domain name, known at deploy): the URL is then checked around it.
   */
  readonly endpoint: string;
  /** The bucket's region, e.g. `eu-west-1`, or a CDK token (the stack's region). */
  readonly region: string;
  /** How the node signs its S3 requests. */
  readonly credentials: StorageCredentials;
  /**
   * The cache's directory, relative to the server's filesystem cache directory under its data
   * path (so on the data disk), ending with '/', e.g. `cold/`. ClickHouse refuses an absolute
   * path outside that directory.
   */
  readonly cachePath: string;
  /** The cache's size on the data disk, bytes: a positive integer. */
  readonly cacheMaxSizeBytes: number;
  /**
   * The S3 disk's local metadata (one small file per object): absolute, ending with '/'.
   * @default - ClickHouse's own, `<path>/disks/cold/` on the data disk
   */
  readonly metadataPath?: string;
  /**
   * When the hot volume's free space falls below this fraction of it, the background mover
   * moves parts (oldest first) to the cold volume, whatever their TTL; between 0 and 1 exclusive.
   * @default DEFAULT_MOVE_FACTOR
   */
  readonly moveFactor?: number;
}

/**
 * The free fraction of the hot volume the mover keeps, rather than ClickHouse's 0.1: a merge
 * writes its new part next to the parts it merges and deletes them only when it is done, so it
 * needs as much free space as those parts. With monthly partitions the largest merges rewrite a
 * good share of a month's parts; with a tenth free the merge selector must shrink its merges,
 * parts pile up and inserts fail with too many parts while the disk still has room. A quarter
 * free leaves room for a merge of a quarter of the volume, and the mover makes that room by
 * sending the oldest parts to S3 rather than by refusing merges.
 */
export const DEFAULT_MOVE_FACTOR = 0.25;

/**
 * A `config.d/` file: an S3 disk, a filesystem cache over it on the data disk, and the `tiered`
 * policy whose `hot` volume is the `default` disk and whose `cold` volume is the cached S3 disk.
 *
 * `ClickHouseCluster`'s data nodes get it at every boot (boot-script.ts), each with its own prefix
 * of the cluster's cold bucket (cold-storage.ts); the migrations custom resource then sets the
 * tables' policy and TTLs from the tier's retention (clickhouse/retention.ts). The tiered-storage
 * integration test renders it for the embedded engine against the local S3 API.
 */
export function renderStorageConfig(options: StorageConfigOptions): string {
  validate(options);
  const x = escapeXml;
  const credentials =
    options.credentials.source === 'instance-role'
      ? ['                <use_environment_credentials>true</use_environment_credentials>']
      : [
          `                <access_key_id>${x(options.credentials.accessKeyId)}</access_key_id>`,
          `                <secret_access_key>${x(options.credentials.secretAccessKey)}</secret_access_key>`,
        ];
  const metadata =
    options.metadataPath === undefined
      ? []
      : [`                <metadata_path>${x(options.metadataPath)}</metadata_path>`];
  const { s3Disk, cacheDisk, policy, hotVolume, coldVolume } = STORAGE_NAMES;
  return [
    '<clickhouse>',
    '    <storage_configuration>',
    '        <disks>',
    `            <${s3Disk}>`,
    '                <type>s3</type>',
    `                <endpoint>${x(options.endpoint)}</endpoint>`,
    `                <region>${x(options.region)}</region>`,
    ...credentials,
    ...metadata,
    `            </${s3Disk}>`,
    `            <${cacheDisk}>`,
    '                <type>cache</type>',
    `                <disk>${s3Disk}</disk>`,
    `                <path>${x(options.cachePath)}</path>`,
    `                <max_size>${options.cacheMaxSizeBytes}</max_size>`,
    `            </${cacheDisk}>`,
    '        </disks>',
    '        <policies>',
    `            <${policy}>`,
    '                <volumes>',
    `                    <${hotVolume}>`,
    '                        <disk>default</disk>',
    `                    </${hotVolume}>`,
    `                    <${coldVolume}>`,
    `                        <disk>${cacheDisk}</disk>`,
    `                    </${coldVolume}>`,
    '                </volumes>',
    `                <move_factor>${options.moveFactor ?? DEFAULT_MOVE_FACTOR}</move_factor>`,
    `            </${policy}>`,
    '        </policies>',
    '    </storage_configuration>',
    '</clickhouse>',
    '',
  ].join('\n');
}

function validate(options: StorageConfigOptions): void {
  const fail = (option: string, must: string, value: unknown): never => {
    throw new StorageConfigError(
      `${option} must be ${must}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
    );
  };
  // A token stands for a value CloudFormation fills in; the URL must be one with any such value.
  const endpoint: string = Tokenization.reverseString(options.endpoint)
    .mapTokens({ mapToken: () => 'deploy-time-value' })
    .join({ join: (left: unknown, right: unknown) => `${String(left)}${String(right)}` });
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !endpoint.endsWith('/')) {
    fail('endpoint', "an http(s) URL ending with '/'", options.endpoint);
  }
  if (!Token.isUnresolved(options.region) && !/^[a-z]{2}(-[a-z0-9]+)+$/.test(options.region)) {
    fail('region', 'an AWS region name such as eu-west-1', options.region);
  }
  if (options.credentials.source === 'keys') {
    if (options.credentials.accessKeyId.trim() === '') {
      fail('credentials.accessKeyId', 'non-empty', options.credentials.accessKeyId);
    }
    if (options.credentials.secretAccessKey.trim() === '') {
      fail('credentials.secretAccessKey', 'non-empty', '');
    }
  }
  const metadataPath = options.metadataPath;
  if (metadataPath !== undefined && (!metadataPath.startsWith('/') || !metadataPath.endsWith('/'))) {
    fail('metadataPath', "an absolute directory path ending with '/'", metadataPath);
  }
  const cachePath = options.cachePath;
  const segments = cachePath.split('/');
  if (
    segments.pop() !== '' ||
    segments.length === 0 ||
    segments.some((segment) => !/^[A-Za-z0-9_.-]+$/.test(segment) || /^\.+$/.test(segment))
  ) {
    fail('cachePath', "a relative directory path ending with '/', without '.' or '..'", cachePath);
  }
  if (!Number.isSafeInteger(options.cacheMaxSizeBytes) || options.cacheMaxSizeBytes <= 0) {
    fail('cacheMaxSizeBytes', 'a positive integer number of bytes', options.cacheMaxSizeBytes);
  }
  const moveFactor = options.moveFactor;
  if (moveFactor !== undefined && !(moveFactor > 0 && moveFactor < 1)) {
    fail('moveFactor', 'between 0 and 1 exclusive', moveFactor);
  }
}

/** Text as XML character data: the five predefined entities. */
function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
