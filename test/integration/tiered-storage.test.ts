import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killWithParent, spawnTypeScript } from '../../cli/typescript-process.js';
import { renderStorageConfig, STORAGE_NAMES } from '../../lib/constructs/clickhouse/storage-config.js';
import { LOCAL_COLD_STORAGE } from '../../local/cold-storage.js';
import { ensureBucket, type LocalS3, startLocalS3 } from '../../local/s3.js';
import type { FillReport, ReopenReport } from './tiered-storage-engine.js';

/**
 * The rendered storage configuration, the real migrations and `applyRetention` on the real
 * engine, with the cold disk on the local S3 API. The engine runs in child processes
 * (tiered-storage-engine.ts): a restart is a new process on the same data directory, and the S3
 * API stays here, in the test's process, across both. The rows go in as the loader inserts them;
 * the answers are the dashboard's queries on `events`.
 *
 * Ages and retention (tiered-storage-engine.ts): rows 1, 40, 120 and 400 days old, first under a
 * retention that keeps everything hot, then hot 30 days, bodies 90, rows 365; then hot 0 days.
 */

const ENGINE_SCRIPT = join(import.meta.dirname, 'tiered-storage-engine.ts');
const BUCKET = 'evalforge-cold';
const PREFIX = 'clickhouse/node-1/';
const COLD = STORAGE_NAMES.cacheDisk;

let dir: string;
let s3: LocalS3;
let fill: FillReport;
let reopen: ReopenReport;
let objectsAfterFill = 0;

/** Runs the engine script for `phase` to its end; its one line of JSON. */
async function engine<T>(phase: 'fill' | 'reopen', now: number): Promise<T> {
  const args = [join(dir, 'data'), join(dir, 'storage.xml'), phase, String(now)];
  const child = spawnTypeScript(ENGINE_SCRIPT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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

async function coldObjects(): Promise<number> {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX }));
  return listed.KeyCount ?? 0;
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
    // The data directory is on the machine's shared disk, whose free space is not the parts':
    // with the deployed quarter the mover would send even the youngest part cold whenever that
    // disk is three quarters full.
    moveFactor: LOCAL_COLD_STORAGE.moveFactor,
  });
  await writeFile(join(dir, 'storage.xml'), config);
  const now = Date.now();
  fill = await engine<FillReport>('fill', now);
  objectsAfterFill = await coldObjects();
  // A restart: a new process on the same data directory and configuration.
  reopen = await engine<ReopenReport>('reopen', now);
}, 180_000);

afterAll(async () => {
  await s3?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const byAge = (answers: FillReport['before']) => new Map(answers.byAge.map((row) => [row.age, row]));

describe('tiered storage on the embedded engine, with the migrated tables and applyRetention', () => {
  it('loads the S3 disk, its cache and the tiered policy from the rendered file', () => {
    expect(fill.disks.map((disk) => disk.name)).toEqual([STORAGE_NAMES.s3Disk, STORAGE_NAMES.cacheDisk]);
    expect(fill.policy).toEqual([
      { volume: 'default', disks: ['default'] },
      { volume: STORAGE_NAMES.coldVolume, disks: [COLD] },
    ]);
  });

  it('gives events the policy and the TTLs', () => {
    expect(fill.createTableQuery).toContain("storage_policy = 'tiered'");
    expect(fill.createTableQuery).toContain(
      "TTL toDateTime(timestamp) + toIntervalDay(0) TO VOLUME 'cold', toDateTime(timestamp) + toIntervalDay(365)",
    );
    expect(fill.createTableQuery).toContain(
      '`prompt` String CODEC(ZSTD(6)) TTL toDateTime(timestamp) + toIntervalDay(90)',
    );
  });

  it('keeps every part on the hot disk while the retention keeps them hot', () => {
    expect(fill.before.parts).toEqual([
      { age: 1, disk: 'default' },
      { age: 40, disk: 'default' },
      { age: 120, disk: 'default' },
      { age: 400, disk: 'default' },
    ]);
    for (const row of fill.before.byAge) {
      expect(row.calls).toBe(30);
      expect(row.bodyBytes).toBeGreaterThan(0);
    }
  });

  it('moves the parts past hotDays to the cold disk, and their objects to S3', () => {
    expect(fill.after.parts).toEqual([
      { age: 1, disk: 'default' },
      { age: 40, disk: COLD },
      { age: 120, disk: COLD },
    ]);
    expect(objectsAfterFill).toBeGreaterThan(0);
  });

  it('answers the dashboard queries the same before and after the move', () => {
    const before = byAge(fill.before);
    const after = byAge(fill.after);
    for (const age of [1, 40, 120]) {
      expect(after.get(age)?.calls, `age ${age}`).toBe(before.get(age)?.calls);
      expect(after.get(age)?.slowest, `age ${age}`).toBe(before.get(age)?.slowest);
      expect(after.get(age)?.trace, `age ${age}`).toBe(before.get(age)?.trace);
    }
  });

  it('empties the bodies at bodiesDays and deletes the rows at hotDays + warmDays', () => {
    const before = byAge(fill.before);
    const after = byAge(fill.after);
    expect(after.get(1)?.bodyBytes).toBe(before.get(1)?.bodyBytes);
    expect(after.get(40)?.bodyBytes).toBe(before.get(40)?.bodyBytes);
    expect(after.get(120)?.bodyBytes).toBe(0);
    expect(after.get(400)).toMatchObject({ calls: 0, slowest: '[]', trace: '[]', bodyBytes: 0 });
  });

  it('applies the same retention once, and a shorter hotDays moves the hot parts too', () => {
    expect(fill.again.applied).toBe(false);
    expect(fill.changed.applied).toBe(true);
    expect(fill.afterChange.parts).toEqual([
      { age: 1, disk: COLD },
      { age: 40, disk: COLD },
      { age: 120, disk: COLD },
    ]);
    expect(fill.afterChange.byAge).toEqual(fill.after.byAge);
  });

  it('finds the moved parts on the cold disk after a restart, with the same answers', async () => {
    expect(reopen.answers).toEqual(fill.afterChange);
    expect(reopen.reapplied.applied).toBe(false);
    expect(await coldObjects()).toBeGreaterThanOrEqual(objectsAfterFill);
  });
});
