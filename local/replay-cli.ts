import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import {
  HELP_FLAG,
  parseOnlyFlags,
  quotedArgument,
  readWholeNumber,
  stringFlags,
  UsageError,
} from '../cli/flags.js';
import { isMainModule } from '../cli/main-module.js';
import { onStopSignals } from '../cli/stop-signals.js';
import {
  type ArchiveObjectInfo,
  type ArchiveReader,
  checkReplayRange,
  planReplay,
  type ReplayCheckpoint,
  type ReplayCheckpointState,
  type ReplayPlan,
  type ReplayProgress,
  type ReplayRange,
  ReplayRangeError,
  type RestorePrices,
  type RestoreTier,
  restoreEstimate,
  runReplay,
} from '../functions/replay/core.js';
import { S3ArchiveReader } from '../functions/replay/s3-archive.js';
import { pricesFor } from '../lib/pricing/prices.js';
import { NPM_START_DEFAULTS } from './api-target.js';
import { writeAtomically } from './checkpoints.js';
import type { TextSink } from './keys-cli.js';
import { type LocalEngine, openLocalEngine } from './local-jobs.js';
import { LOCAL_NAMES } from './pipeline.js';

/**
 * `npm run replay`: loads a range of the raw archive back into the local ClickHouse through the
 * loader's core, exactly once (functions/replay/core.ts). The archive is the local S3 API's
 * bucket, or a deployed tier's bucket (`--bucket`, with the AWS credentials of the environment);
 * the loading is done by a running npm start, or by this command on the stopped data directory.
 */

export const REPLAY_USAGE = `Usage: npm run replay -- --from <time> [--to <time>] [options]

Loads the raw archive's records that arrived in [--from, --to) back into ClickHouse through the
loader, event by event: what is stored already is skipped, so a replay over stored data adds
nothing and a replay into an empty store restores every event. Runs inside a running npm start,
or on the data directory when npm start is stopped. Ctrl-C stops after the current batch; the
same command again resumes from the checkpoint.

Options:
  --from <time>      ISO-8601 time with a zone (2026-01-31T12:00:00Z), or a length back from
                     now: 90m, 6h, 7d
  --to <time>        the same; default now. At most 31 days after --from
  --project <id>     only this project's records (default: every project)
  --rate <n>         events per second at most, so live ingest keeps the engine (default: no cap)
  --plan             list what the range reads (objects, bytes, storage classes, restores
                     needed and their cost) and stop
  --restore <tier>   objects in Glacier classes: ask S3 to restore them (bulk or standard), load
                     everything readable now, and resume later
  --restart          ignore the checkpoint of an earlier run of this range
  --bucket <name>    read a deployed tier's archive bucket with this environment's AWS
                     credentials (default: ${LOCAL_NAMES.bucket} of npm start's local S3 API)
  --region <region>  the bucket's region (default AWS_REGION, then us-east-1)
  -h, --help         show this help

Environment: EVALFORGE_DATA_DIR (default ${NPM_START_DEFAULTS.dataDir}).
Exit codes: 0 done, 1 failed, 2 bad arguments, 3 objects wait for a restore (run again later),
130 interrupted (run again to resume).
`;

export interface ReplayCommandDeps {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly now: () => number;
  /** Aborted by Ctrl-C. */
  readonly signal?: AbortSignal;
  /** Whether stdout is a terminal: progress then rewrites one line. */
  readonly tty?: boolean;
  /** Opens the engine that loads; @default - openLocalEngine */
  readonly openEngine?: (dataDir: string) => Promise<LocalEngine>;
  /** The archive for `--bucket`; @default - S3 with the environment's credentials */
  readonly deployedArchive?: (bucket: string, region: string) => ArchiveReader;
}

interface Options {
  readonly range: ReplayRange;
  readonly rate?: number;
  readonly plan: boolean;
  readonly restore?: RestoreTier;
  readonly restart: boolean;
  readonly bucket?: string;
  readonly region: string;
  readonly dataDir: string;
}

const OPTIONS = {
  ...stringFlags('from', 'to', 'project', 'rate', 'restore', 'bucket', 'region'),
  plan: { type: 'boolean' },
  restart: { type: 'boolean' },
  ...HELP_FLAG,
} as const;

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const LENGTH = /^(\d{1,6})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_RATE = 10_000_000;
/** Days a restored copy stays readable: long enough for a replay started the day after. */
export const RESTORE_DAYS = 7;

const quoted = quotedArgument;

function instant(flag: string, text: string, now: number): number {
  const length = LENGTH.exec(text);
  if (length) return now - Number(length[1]) * UNIT_MS[length[2] as keyof typeof UNIT_MS];
  if (text === 'now') return now;
  const ms = ISO_WITH_ZONE.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `${flag}: must be an ISO-8601 time with a zone (2026-01-31T12:00:00Z), a length back from now (90m, 6h, 7d) or now; got ${quoted(text)}`,
    );
  }
  return ms;
}

/** Reads the flags. @throws UsageError naming the flag at fault. */
export function parseReplayArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  now: number,
): Options | 'help' {
  const values = parseOnlyFlags(argv, OPTIONS);
  if (values.help) return 'help';
  if (values.from === undefined) throw new UsageError('--from: is needed: where the range starts');
  const fromMs = instant('--from', values.from, now);
  const toMs = values.to === undefined ? now : instant('--to', values.to, now);
  let range: ReplayRange;
  try {
    range = checkReplayRange(
      { fromMs, toMs, ...(values.project === undefined ? {} : { project: values.project }) },
      now,
    );
  } catch (error) {
    if (!(error instanceof ReplayRangeError)) throw error;
    const flag = /project/.test(error.message)
      ? '--project'
      : /future/.test(error.message)
        ? '--from'
        : '--to';
    throw new UsageError(`${flag}: ${error.message}`);
  }
  let rate: number | undefined;
  if (values.rate !== undefined) {
    rate = readWholeNumber(values.rate, 1, MAX_RATE);
    if (rate === undefined) {
      throw new UsageError(
        `--rate: must be a whole number of events per second from 1 to ${MAX_RATE}; got ${quoted(values.rate)}`,
      );
    }
  }
  let restore: RestoreTier | undefined;
  if (values.restore !== undefined) {
    const tier = values.restore.toLowerCase();
    if (tier !== 'bulk' && tier !== 'standard') {
      throw new UsageError(
        `--restore: must be bulk or standard (S3's restore tiers for Glacier classes); got ${quoted(values.restore)}`,
      );
    }
    restore = tier === 'bulk' ? 'Bulk' : 'Standard';
  }
  if (values.bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(values.bucket)) {
    throw new UsageError(
      `--bucket: must be an S3 bucket name (3–63 lowercase letters, digits, dots, hyphens); got ${quoted(values.bucket)}`,
    );
  }
  const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new UsageError(`--region: must be an AWS region like us-east-1; got ${quoted(region)}`);
  const dataDir = resolve(cwd, env.EVALFORGE_DATA_DIR || NPM_START_DEFAULTS.dataDir);
  return {
    range,
    ...(rate === undefined ? {} : { rate }),
    plan: values.plan ?? false,
    ...(restore === undefined ? {} : { restore }),
    restart: values.restart ?? false,
    ...(values.bucket === undefined ? {} : { bucket: values.bucket }),
    region,
    dataDir,
  };
}

// ---------------------------------------------------------------------------------------------
// The checkpoint

const CheckpointSchema = z.object({
  version: z.literal(1),
  location: z.string(),
  range: z.object({ from: z.string(), to: z.string(), project: z.string().optional() }),
  done: z.array(z.string()),
  totals: z.object({
    objects: z.number(),
    bytes: z.number(),
    records: z.number(),
    events: z.number(),
    duplicateEvents: z.number(),
    deadLetters: z.number(),
    skippedRecords: z.number(),
  }),
});

/** The replay's checkpoint in the data directory: one replay at a time per data directory. */
export function fileCheckpoint(path: string): ReplayCheckpoint {
  return {
    load: async () => {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        return CheckpointSchema.parse(JSON.parse(text)) as ReplayCheckpointState;
      } catch (error) {
        throw new Error(
          `the replay checkpoint ${path} cannot be read (${(error as Error).message}); delete it, or pass --restart`,
        );
      }
    },
    save: (state) => writeAtomically(path, `${JSON.stringify(state)}\n`),
    clear: () => rm(path, { force: true }),
  };
}

export const checkpointPath = (dataDir: string) => join(dataDir, 'replay', 'checkpoint.json');

// ---------------------------------------------------------------------------------------------
// What it prints

const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
/** "1 object", "2 objects", the count formatted. */
const count = (n: number, noun: string) => `${COUNT.format(n)} ${noun}${n === 1 ? '' : 's'}`;
const USD = (usd: number) => `$${usd < 1 ? usd.toFixed(4) : usd.toFixed(2)}`;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** One progress line: objects, bytes, events, pace, time left. */
export function progressLine(p: ReplayProgress): string {
  const t = p.totals;
  const share = p.bytesTotal > 0 ? Math.floor((t.bytes / p.bytesTotal) * 100) : 100;
  return [
    `objects ${COUNT.format(t.objects)}/${COUNT.format(p.objectsTotal)} (${share}%)`,
    `events ${COUNT.format(t.events)} loaded, ${COUNT.format(t.duplicateEvents)} already stored, ${COUNT.format(t.deadLetters)} dead letters`,
    `${COUNT.format(p.eventsPerSecond)} events/s`,
    `ETA ${p.etaSeconds === undefined ? '…' : formatDuration(p.etaSeconds)}`,
  ].join(' · ');
}

/** Restore prices and times for each Glacier class and tier (lib/pricing/prices.ts; S3's stated times). */
export function restorePrices(storageClass: string, tier: RestoreTier): RestorePrices {
  const s3 = pricesFor('us-east-1').s3;
  if (storageClass === 'DEEP_ARCHIVE') {
    return tier === 'Bulk'
      ? {
          perGb: s3.deepArchiveRestoreBulkGb.usd,
          perThousandRequests: s3.deepArchiveRestoreBulkPerThousand.usd,
          within: 'within 48 hours',
        }
      : {
          perGb: s3.deepArchiveRestoreStandardGb.usd,
          perThousandRequests: s3.deepArchiveRestoreStandardPerThousand.usd,
          within: 'within 12 hours',
        };
  }
  return tier === 'Bulk'
    ? { perGb: 0, perThousandRequests: s3.glacierFlexibleRestoreBulkPerThousand.usd, within: 'in 5–12 hours' }
    : {
        perGb: s3.glacierFlexibleRestoreStandardGb.usd,
        perThousandRequests: s3.glacierFlexibleRestoreStandardPerThousand.usd,
        within: 'in 3–5 hours',
      };
}

const CLASS_NAMES: Readonly<Record<string, string>> = {
  DEEP_ARCHIVE: 'S3 Glacier Deep Archive',
  GLACIER: 'S3 Glacier Flexible Retrieval',
};

/** What restoring the plan's unrestored objects costs and takes, by class and tier. */
export function describeRestores(unrestored: ReplayPlan['unrestored']): string[] {
  const byClass = new Map<string, ArchiveObjectInfo[]>();
  for (const object of unrestored) {
    const list = byClass.get(object.storageClass ?? '') ?? [];
    list.push(object);
    byClass.set(object.storageClass ?? '', list);
  }
  const lines: string[] = [];
  for (const [storageClass, objects] of byClass) {
    const pending = unrestored.filter(
      (o) => o.storageClass === storageClass && o.state === 'in-progress',
    ).length;
    const bytes = objects.reduce((n, o) => n + o.size, 0);
    lines.push(
      `${count(objects.length, 'object')} (${formatBytes(bytes)}) ${objects.length === 1 ? 'is' : 'are'} in ${CLASS_NAMES[storageClass] ?? storageClass}${pending > 0 ? `, ${COUNT.format(pending)} of them being restored already` : ''}; a restore costs, plus ${RESTORE_DAYS} days of the copy at S3 Standard:`,
    );
    for (const tier of ['Bulk', 'Standard'] as const) {
      const estimate = restoreEstimate(objects, restorePrices(storageClass, tier));
      lines.push(
        `  --restore ${tier.toLowerCase().padEnd(8)} ${USD(estimate.usd).padStart(9)}, ${estimate.within}`,
      );
    }
  }
  return lines;
}

function describeRange(range: ReplayRange): string {
  return `records that arrived from ${new Date(range.fromMs).toISOString()} to ${new Date(range.toMs).toISOString()} (${range.project === undefined ? 'every project' : `project ${range.project}`})`;
}

// ---------------------------------------------------------------------------------------------
// The command

/** Runs the replay; returns the exit code. */
export async function runReplayCommand(argv: readonly string[], deps: ReplayCommandDeps): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseReplayArgs(argv, deps.env, deps.cwd, deps.now());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    deps.stderr.write(`error: ${error.message}\n\nRun npm run replay -- --help for the options.\n`);
    return 2;
  }
  if (options === 'help') {
    deps.stdout.write(REPLAY_USAGE);
    return 0;
  }
  const say = (line: string) => deps.stdout.write(`${line}\n`);
  const fail = (message: string) => {
    deps.stderr.write(`error: ${message}\n`);
    return 1;
  };

  // A deployed bucket's plan needs no engine: --plan --bucket works whatever runs here.
  let engine: LocalEngine | undefined;
  let deployed: S3Client | undefined;
  let archive: ArchiveReader;
  try {
    if (!options.plan || options.bucket === undefined) {
      engine = await (deps.openEngine ?? openLocalEngine)(options.dataDir);
    }
    if (options.bucket === undefined) {
      archive = new S3ArchiveReader((engine as LocalEngine).s3, LOCAL_NAMES.bucket);
    } else if (deps.deployedArchive) {
      archive = deps.deployedArchive(options.bucket, options.region);
    } else {
      deployed = new S3Client({ region: options.region });
      archive = new S3ArchiveReader(deployed, options.bucket);
    }
  } catch (error) {
    await engine?.close().catch(() => undefined);
    return fail((error as Error).message);
  }

  try {
    const source =
      options.bucket === undefined
        ? `${archive.location} (the local S3 API)`
        : `${archive.location} (${options.region})`;
    say(`Replay of ${describeRange(options.range)}, from ${source}.`);
    if (engine && !options.plan) {
      say(
        engine.mode === 'npm-start'
          ? 'Loading through the running npm start.'
          : `Loading into the ClickHouse of ${options.dataDir} (npm start is not running).`,
      );
    }
    const checkpoint = fileCheckpoint(checkpointPath(options.dataDir));
    if (options.restart) await checkpoint.clear();

    if (options.plan) {
      const plan = await planReplay(options.range, archive);
      say(describePlan(plan));
      for (const line of describeRestores(plan.unrestored)) say(line);
      return 0;
    }
    // Not a plan: the engine was opened above.
    const loader = engine as LocalEngine;

    let lastPrint = 0;
    let progressShown = false;
    const outcome = await runReplay(
      {
        range: options.range,
        ...(options.rate === undefined ? {} : { maxEventsPerSecond: options.rate }),
        ...(deps.signal === undefined ? {} : { signal: deps.signal }),
        ...(options.restore === undefined ? {} : { restore: { tier: options.restore, days: RESTORE_DAYS } }),
        onPlan: (plan, resumed) => {
          say(describePlan(plan));
          if (resumed) {
            const done = plan.objects.filter((o) => resumed.done.includes(o.key)).length;
            say(
              `Resuming: ${COUNT.format(done)} of ${count(plan.objects.length, 'object')} ${done === 1 ? 'was' : 'were'} loaded by an earlier run (checkpoint ${checkpointPath(options.dataDir)}); the totals include its work.`,
            );
          }
          for (const line of describeRestores(plan.unrestored)) say(line);
        },
        onProgress: (p) => {
          const now = deps.now();
          const last = p.totals.objects >= p.objectsTotal;
          if (!last && now - lastPrint < (deps.tty ? 250 : 5_000)) return;
          lastPrint = now;
          if (deps.tty) {
            deps.stdout.write(`\r\u001b[2K${progressLine(p)}`);
            progressShown = true;
          } else say(progressLine(p));
        },
      },
      {
        archive,
        load: (batch) => loader.load(batch),
        checkpoint,
        now: deps.now,
        sleep: (ms, signal) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, ms);
            signal?.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      },
    );
    if (progressShown) deps.stdout.write('\n');

    const plan = outcome.plan;
    const t = outcome.totals;
    const summary = `${count(t.objects, 'object')} (${formatBytes(t.bytes)}), ${count(t.events, 'event')} loaded, ${COUNT.format(t.duplicateEvents)} already stored, ${count(t.deadLetters, 'dead letter')}, ${count(t.skippedRecords, 'record')} outside the range or project`;
    switch (outcome.status) {
      case 'complete':
        say(`Done: ${summary}.`);
        if (t.deadLetters > 0)
          say(
            'npm run dead-letters lists the dead letters; npm run dead-letters -- redrive loads them again after a fix.',
          );
        return 0;
      case 'interrupted':
        // Only its signal stops a replay: Ctrl-C (or SIGTERM).
        say(`Stopped (Ctrl-C) after ${summary}.`);
        say(`Run the same command again to resume, with the same range: ${resumeCommand(options)}`);
        return 130;
      default: {
        say(`Loaded what is readable: ${summary}.`);
        say(
          options.restore
            ? `Asked S3 to restore ${count(outcome.restoresRequested, 'object')} (${options.restore} tier, readable for ${RESTORE_DAYS} days); once they are restored, resume with: ${resumeCommand(options)}`
            : `${count(plan.unrestored.length, 'object')} ${plan.unrestored.length === 1 ? 'waits' : 'wait'} for a restore: run again with --restore bulk or --restore standard, then once more after S3 has restored them.`,
        );
        return 3;
      }
    }
  } catch (error) {
    return fail((error as Error).message);
  } finally {
    await engine?.close().catch(() => undefined);
    deployed?.destroy();
  }
}

/** The command that resumes a replay: its range in absolute times, as a relative --from moves with the clock. */
export function resumeCommand(options: Pick<Options, 'range' | 'bucket' | 'region'>): string {
  const { fromMs, toMs, project } = options.range;
  return [
    'npm run replay --',
    `--from ${new Date(fromMs).toISOString()}`,
    `--to ${new Date(toMs).toISOString()}`,
    ...(project === undefined ? [] : [`--project ${project}`]),
    ...(options.bucket === undefined ? [] : [`--bucket ${options.bucket} --region ${options.region}`]),
  ].join(' ');
}

function describePlan(plan: ReplayPlan): string {
  const classes = new Map<string, number>();
  for (const object of plan.objects) {
    const name = object.storageClass ?? 'STANDARD';
    classes.set(name, (classes.get(name) ?? 0) + 1);
  }
  const byClass = [...classes].map(([name, n]) => `${COUNT.format(n)} ${name}`).join(', ');
  return plan.objects.length === 0
    ? 'The archive holds no objects for the range.'
    : `Plan: ${count(plan.objects.length, 'object')}, ${formatBytes(plan.bytes)} (${byClass}).`;
}

if (isMainModule(import.meta.url)) {
  const controller = new AbortController();
  onStopSignals({
    first: () => {
      process.stderr.write(
        '\nstopping after the current batch (the checkpoint keeps the rest); Ctrl-C again stops at once\n',
      );
      controller.abort();
    },
    again: () => process.exit(130),
  });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const code = await runReplayCommand(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: Date.now,
    signal: controller.signal,
    tty: process.stdout.isTTY === true,
  });
  process.exit(code);
}
