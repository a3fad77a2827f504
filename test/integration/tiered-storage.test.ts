import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killWithParent, spawnTypeScript } from '../../cli/typescript-process.js';
import {
  DEFAULT_MOVE_FACTOR,
  renderStorageConfig,
  STORAGE_NAMES,
} from '../../lib/constructs/clickhouse/storage-config.js';
import { ensureBucket, type LocalS3, startLocalS3 } from '../../local/s3.js';

/**
 * The rendered storage configuration on the real engine: chDB loads it, with its cold disk on the
 * local S3 API. The engine runs in child processes (tiered-storage-engine.ts): it binds one data
 * directory and configuration per process and blocks its process while a query runs, so the S3
 * API, here in the test's process, must be elsewhere to answer it.
 */

const ENGINE_SCRIPT = join(import.meta.dirname, 'tiered-storage-engine.ts');
const BUCKET = 'evalforge-cold';
const PREFIX = 'clickhouse/node-1/';

interface Answers {
  kept: { age: number; rows: number; ids: string }[];
  byAge: { age: number; rows: number; bodyBytes: string }[];
  parts: { age: number; disk: string }[];
}
interface Fill {
  disks: { name: string; type: string }[];
  policy: { volume: string; disks: string[]; move_factor: number }[];
  before: Answers;
  after: Answers;
}

let dir: string;
let s3: LocalS3;
let fill: Fill;
let reopened: Answers;

/** Runs the engine script for `phase` to its end; its one line of JSON. */
async function engine<T>(phase: 'fill' | 'reopen'): Promise<T> {
  const child = spawnTypeScript(ENGINE_SCRIPT, [join(dir, 'data'), join(dir, 'storage.xml'), phase], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killWithParent(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the engine's ${phase} exited with ${code}: ${err}`);
  return JSON.parse(out) as T;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-tiered-'));
  s3 = await startLocalS3({ path: join(dir, 's3') });
  await ensureBucket(s3.client, BUCKET);
  const config = renderStorageConfig({
    endpoint: `${s3.endpoint}/${BUCKET}/${PREFIX}`,
    region: 'us-east-1',
    credentials: { source: 'keys', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    cachePath: 'cold/',
    cacheMaxSizeBytes: 64 * 1024 ** 2,
  });
  await writeFile(join(dir, 'storage.xml'), config);
  fill = await engine<Fill>('fill');
  // A restart: a new process on the same data directory and configuration.
  reopened = (await engine<{ after: Answers }>('reopen')).after;
}, 120_000);

afterAll(async () => {
  await s3?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('tiered storage on the embedded engine', () => {
  it('loads the S3 disk, its cache and the tiered policy from the rendered file', () => {
    expect(fill.disks.map((disk) => disk.name)).toEqual([STORAGE_NAMES.s3Disk, STORAGE_NAMES.cacheDisk]);
    expect(fill.policy).toEqual([
      { volume: STORAGE_NAMES.hotVolume, disks: ['default'], move_factor: DEFAULT_MOVE_FACTOR },
      {
        volume: STORAGE_NAMES.coldVolume,
        disks: [STORAGE_NAMES.cacheDisk],
        move_factor: DEFAULT_MOVE_FACTOR,
      },
    ]);
  });

  it('moves the parts older than the move TTL to the cold disk, and their objects to S3', async () => {
    expect(fill.before.parts).toEqual([
      { age: 1, disk: 'default' },
      { age: 40, disk: 'default' },
      { age: 100, disk: 'default' },
      { age: 400, disk: 'default' },
    ]);
    expect(fill.after.parts).toEqual([
      { age: 1, disk: 'default' },
      { age: 40, disk: STORAGE_NAMES.cacheDisk },
      { age: 100, disk: STORAGE_NAMES.cacheDisk },
    ]);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX }));
    expect(listed.KeyCount).toBeGreaterThan(0);
  });

  it('answers the same before and after the move', () => {
    expect(fill.before.kept.map((row) => row.age)).toEqual([1, 40, 100]);
    expect(fill.after.kept).toEqual(fill.before.kept);
  });

  it('empties the bodies at the column TTL and deletes the rows at the table TTL', () => {
    const before = new Map(fill.before.byAge.map((row) => [row.age, row]));
    expect([...before.keys()]).toEqual([1, 40, 100, 400]);
    for (const row of before.values()) expect(Number(row.bodyBytes)).toBeGreaterThan(0);
    expect(fill.after.byAge).toEqual([
      before.get(1),
      before.get(40),
      { age: 100, rows: before.get(100)?.rows, bodyBytes: '0' },
    ]);
  });

  it('finds the moved parts on the cold disk after a restart, with the same answers', () => {
    expect(reopened).toEqual(fill.after);
  });
});
