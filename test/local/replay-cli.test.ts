import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHeaderLine } from '../../functions/shared/contract/stream-record.js';
import type { LoadBatch, LoadSummary } from '../../functions/shared/load/core.js';
import type { LocalEngine } from '../../local/local-jobs.js';
import {
  checkpointPath,
  parseReplayArgs,
  REPLAY_USAGE,
  type ReplayCommandDeps,
  runReplayCommand,
} from '../../local/replay-cli.js';
import { archiveKeyAt, archiveObjectBytes, MemoryArchive } from '../helpers/memory-archive.js';

const NOW = Date.parse('2026-12-02T12:00:00.000Z');
const HOUR = 3_600_000;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-replay-cli-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const sink = () => {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
    text: () => text,
  };
};

/** An engine that loads nothing for real: it counts what it is handed. */
function fakeEngine(loaded: LoadBatch[]): LocalEngine {
  return {
    mode: 'direct',
    s3: {} as S3Client,
    s3Endpoint: 'http://127.0.0.1:1',
    load: async (batch): Promise<LoadSummary> => {
      loaded.push(batch);
      return {
        records: batch.records.length,
        events: batch.records.length,
        duplicateRecords: 0,
        duplicateEvents: 0,
        deadLetters: 0,
        deadRecords: 0,
        bytes: 0,
      };
    },
    redrive: async () => {
      throw new Error('not here');
    },
    close: async () => undefined,
  };
}

const record = (minute: number) =>
  `${encodeHeaderLine({
    format: 'evalforge.batch/v1',
    project_id: 'proj-a',
    key_id: 'k',
    received_at: new Date(NOW - HOUR + minute * 60_000).toISOString(),
    request_id: `r${minute}`,
    request_key: 'c'.repeat(64),
    part: 0,
    events: 1,
  })}{"trace_id":"t","span_id":"s${minute}"}\n`;

/** Three objects of the last hour; the first two in Glacier classes, 500 MB each as listed. */
function glacierArchive(): MemoryArchive {
  const archive = new MemoryArchive();
  const classes = ['DEEP_ARCHIVE', 'DEEP_ARCHIVE', undefined];
  classes.forEach((storageClass, i) => {
    archive.objects.set(archiveKeyAt(NOW - HOUR + i * 10 * 60_000, i), {
      bytes: archiveObjectBytes([record(i * 10 + 1)]),
      ...(storageClass ? { storageClass } : {}),
    });
  });
  // Listed at 500 MB each, so the restore's price shows.
  const list = archive.list.bind(archive);
  archive.list = async (prefix) => (await list(prefix)).map((o) => ({ ...o, size: 500_000_000 }));
  return archive;
}

function deps(
  name: string,
  overrides: Partial<ReplayCommandDeps> = {},
): ReplayCommandDeps & { out: ReturnType<typeof sink>; err: ReturnType<typeof sink> } {
  const out = sink();
  const err = sink();
  return {
    stdout: out,
    stderr: err,
    env: { EVALFORGE_DATA_DIR: join(dir, name) },
    cwd: dir,
    now: () => NOW,
    openEngine: async () => {
      throw new Error('the engine was opened');
    },
    out,
    err,
    ...overrides,
  };
}

describe('parseReplayArgs', () => {
  it.each<[string, string[], RegExp]>([
    ['rejects no --from', [], /--from: is needed/],
    [
      'rejects a --from that is no time',
      ['--from', 'yesterday'],
      /--from: must be an ISO-8601 time with a zone/,
    ],
    ['rejects a time without a zone', ['--from', '2026-12-01T10:00:00'], /--from: must be an ISO-8601/],
    ['rejects a --to before --from', ['--from', '1h', '--to', '2h'], /--to: from must be before to/],
    ['rejects more than 31 days', ['--from', '40d'], /--to: the range must be at most 31 days/],
    [
      'rejects a --from in the future',
      ['--from', '2027-01-01T00:00:00Z', '--to', '2027-01-02T00:00:00Z'],
      /--from: from is in the future/,
    ],
    [
      'rejects a project id the contract refuses',
      ['--from', '1h', '--project', 'No Such!'],
      /--project: project "No Such!" is not a project id/,
    ],
    ['rejects a rate of 0', ['--from', '1h', '--rate', '0'], /--rate: must be a whole number/],
    ['rejects a rate that is not whole', ['--from', '1h', '--rate', '1.5'], /--rate: must be a whole number/],
    [
      'rejects an unknown restore tier',
      ['--from', '1h', '--restore', 'expedited'],
      /--restore: must be bulk or standard/,
    ],
    [
      'rejects a bucket name S3 refuses',
      ['--from', '1h', '--bucket', 'Not_A_Bucket'],
      /--bucket: must be an S3 bucket name/,
    ],
    [
      'rejects a region that is not one',
      ['--from', '1h', '--region', 'moon'],
      /--region: must be an AWS region/,
    ],
    ['rejects an unknown flag', ['--from', '1h', '--fast'], /Unknown option '--fast'/],
    ['rejects a positional argument', ['--from', '1h', 'now'], /unexpected argument "now"/],
  ])('%s', (_, argv, message) => {
    expect(() => parseReplayArgs(argv, {}, dir, NOW)).toThrow(message);
  });

  it('reads lengths back from now, ISO times and the data directory', () => {
    const options = parseReplayArgs(
      ['--from', '90m', '--project', 'proj-a', '--rate', '5000', '--restore', 'Bulk'],
      { EVALFORGE_DATA_DIR: 'data', AWS_REGION: 'eu-west-1' },
      dir,
      NOW,
    );
    expect(options).toEqual({
      range: { fromMs: NOW - 90 * 60_000, toMs: NOW, project: 'proj-a' },
      rate: 5000,
      plan: false,
      restore: 'Bulk',
      restart: false,
      region: 'eu-west-1',
      dataDir: join(dir, 'data'),
    });
    expect(
      parseReplayArgs(['--from', '2026-12-01T10:00:00+01:00', '--to', 'now'], {}, dir, NOW),
    ).toMatchObject({
      range: { fromMs: Date.parse('2026-12-01T09:00:00Z'), toMs: NOW },
    });
  });
});

describe('npm run replay', () => {
  it('prints its usage for --help and names a bad flag with exit code 2', async () => {
    const help = deps('help');
    expect(await runReplayCommand(['--help'], help)).toBe(0);
    expect(help.out.text()).toBe(REPLAY_USAGE);
    const bad = deps('bad');
    expect(await runReplayCommand(['--from', 'soon'], bad)).toBe(2);
    expect(bad.err.text()).toMatch(/^error: --from: .*\n\nRun npm run replay -- --help for the options\.\n$/);
  });

  it("plans a deployed bucket's range without an engine, and prices the restores its Glacier objects need", async () => {
    const archive = glacierArchive();
    const run = deps('plan', { deployedArchive: () => archive });
    expect(await runReplayCommand(['--from', '2h', '--plan', '--bucket', 'my-archive'], run)).toBe(0);
    const out = run.out.text();
    expect(out).toContain('Plan: 3 objects, 1.4 GiB (2 DEEP_ARCHIVE, 1 STANDARD).');
    expect(out).toContain('2 objects (954 MiB) are in S3 Glacier Deep Archive');
    // 1 GB at $0.0025 + 2 requests at $0.025 a thousand; 1 GB at $0.02 + 2 at $0.10 a thousand.
    expect(out).toMatch(/--restore bulk +\$0\.0026, within 48 hours/);
    expect(out).toMatch(/--restore standard +\$0\.0202, within 12 hours/);
    expect(archive.reads).toEqual([]);
    expect(archive.restores).toEqual([]);
  });

  it('asks for the restores, loads what is readable, and exits 3 with the command that resumes', async () => {
    const archive = glacierArchive();
    const loaded: LoadBatch[] = [];
    const run = deps('restore', {
      deployedArchive: () => archive,
      openEngine: async () => fakeEngine(loaded),
    });
    const code = await runReplayCommand(['--from', '2h', '--bucket', 'my-archive', '--restore', 'bulk'], run);
    expect(code).toBe(3);
    expect(archive.restores.map(([, tier, days]) => [tier, days])).toEqual([
      ['Bulk', 7],
      ['Bulk', 7],
    ]);
    expect(loaded).toHaveLength(1);
    const out = run.out.text();
    expect(out).toContain('Asked S3 to restore 2 objects (Bulk tier, readable for 7 days)');
    expect(out).toContain(
      'npm run replay -- --from 2026-12-02T10:00:00.000Z --to 2026-12-02T12:00:00.000Z --bucket my-archive --region us-east-1',
    );
    expect(existsSync(checkpointPath(join(dir, 'restore')))).toBe(true);
  });

  it('stops on its signal with exit code 130, keeping the checkpoint', async () => {
    const archive = glacierArchive();
    for (const object of archive.objects.values()) Object.assign(object, { restore: 'restored' });
    const controller = new AbortController();
    const engine = fakeEngine([]);
    const load = engine.load;
    engine.load = async (batch) => {
      controller.abort();
      return load(batch);
    };
    const run = deps('stop', {
      deployedArchive: () => archive,
      openEngine: async () => engine,
      signal: controller.signal,
    });
    expect(await runReplayCommand(['--from', '2h', '--bucket', 'my-archive'], run)).toBe(130);
    expect(run.out.text()).toContain('Stopped (Ctrl-C) after 1 object (');
    expect(existsSync(checkpointPath(join(dir, 'stop')))).toBe(true);
  });

  it('fails with exit code 1 and the reason when no engine can be opened', async () => {
    const run = deps('locked', {
      openEngine: async () => {
        throw new Error('another process holds the data directory');
      },
    });
    expect(await runReplayCommand(['--from', '1h'], run)).toBe(1);
    expect(run.err.text()).toBe('error: another process holds the data directory\n');
  });
});
