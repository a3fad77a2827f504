import { join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../clickhouse/migrate.js';
import { type RedriveOptions, type RedriveSummary, redriveDeadLetters } from '../functions/replay/redrive.js';
import { ClickHouseLoaderStore } from '../functions/shared/load/clickhouse-store.js';
import { type LoadBatch, type LoadSummary, loadBatch } from '../functions/shared/load/core.js';
import { openLocalClickHouse } from './cold-storage.js';
import { type ControlClient, type ControlHandlers, connectControl } from './control-channel.js';
import { localS3Client, startLocalS3 } from './s3.js';

/**
 * Where the commands that need the local engine (`npm run replay`, `npm run dead-letters --
 * redrive`) run their loads: in a running `npm start`, through its control channel (the embedded
 * engine takes one process per data directory), or, when none runs, on the data directory
 * itself, with the local S3 API and the engine opened for the command and closed after it.
 */
export interface LocalEngine {
  /** Who loads: the running npm start, or this process on the stopped data directory. */
  readonly mode: 'npm-start' | 'direct';
  /** The local S3 API: the raw archive's bucket is there. */
  readonly s3: S3Client;
  readonly s3Endpoint: string;
  /** The loader's `loadBatch`, every event looked up first (`verifyEvents`). */
  load(batch: LoadBatch): Promise<LoadSummary>;
  redrive(options: RedriveOptions, onProgress: (summary: RedriveSummary) => void): Promise<RedriveSummary>;
  close(): Promise<void>;
}

/** A batch as the control channel carries it: each record's bytes in base64. */
interface WireBatch {
  readonly source: string;
  readonly records: readonly {
    readonly data: string;
    readonly sequenceNumber: string;
    readonly inflated?: boolean;
  }[];
}

const toWire = (batch: LoadBatch): WireBatch => ({
  source: batch.source,
  records: batch.records.map((r) => ({
    data: r.data.toString('base64'),
    sequenceNumber: r.sequenceNumber,
    ...(r.inflated ? { inflated: true } : {}),
  })),
});

function fromWire(value: unknown): LoadBatch {
  const wire = value as Partial<WireBatch> | undefined;
  if (typeof wire?.source !== 'string' || !Array.isArray(wire.records)) {
    throw new Error('a load request needs a batch with a source and records');
  }
  return {
    source: wire.source,
    records: wire.records.map((r, i) => {
      if (typeof r?.data !== 'string' || typeof r.sequenceNumber !== 'string') {
        throw new Error(`record ${i} of the batch needs data (base64) and a sequenceNumber`);
      }
      return {
        data: Buffer.from(r.data, 'base64'),
        sequenceNumber: r.sequenceNumber,
        inflated: r.inflated === true,
      };
    }),
  };
}

const REDRIVE_FIELDS = ['project', 'reason'] as const;

function redriveOptionsOf(value: unknown): RedriveOptions {
  const raw = (value ?? {}) as Record<string, unknown>;
  const options: { project?: string; reason?: string } = {};
  for (const field of REDRIVE_FIELDS) {
    const v = raw[field];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new Error(`redrive option ${field} must be a string`);
    options[field] = v;
  }
  return options;
}

/** The loads a command asks for, on an open engine. */
function engineOperations(clickhouse: ClickHouseClient, now: () => number) {
  const store = new ClickHouseLoaderStore(clickhouse);
  return {
    load: (batch: LoadBatch) => loadBatch(batch, { store, now }, { verifyEvents: true }),
    redrive: (options: RedriveOptions, onProgress: (summary: RedriveSummary) => void) =>
      redriveDeadLetters(clickhouse, store, options, { now, onProgress }),
  };
}

/**
 * What a running npm start answers on its control channel: its S3 API's endpoint, a batch to load
 * (as `npm run replay` hands it over), a redrive.
 */
export function engineControlHandlers(deps: {
  readonly clickhouse: ClickHouseClient;
  readonly s3Endpoint: string;
  readonly now: () => number;
  /** Told what each replayed batch did, for npm start's totals. */
  readonly onLoad?: (summary: LoadSummary) => void;
}): ControlHandlers {
  const operations = engineOperations(deps.clickhouse, deps.now);
  return {
    hello: async () => ({ s3Endpoint: deps.s3Endpoint }),
    load: async (request) => {
      const summary = await operations.load(fromWire(request.batch));
      deps.onLoad?.(summary);
      return summary;
    },
    redrive: async (request, progress) => operations.redrive(redriveOptionsOf(request.options), progress),
  };
}

/**
 * The engine for a command on `dataDir`: a running npm start's, or this process's own. The
 * caller closes it.
 */
export async function openLocalEngine(dataDir: string): Promise<LocalEngine> {
  const dir = resolve(dataDir);
  const control = await connectControl(dir);
  if (control) return remoteEngine(control);
  return directEngine(dir);
}

async function remoteEngine(control: ControlClient): Promise<LocalEngine> {
  const hello = await control.request<{ s3Endpoint: string }>({ op: 'hello' });
  const s3 = localS3Client(hello.s3Endpoint);
  return {
    mode: 'npm-start',
    s3,
    s3Endpoint: hello.s3Endpoint,
    load: (batch) => control.request<LoadSummary>({ op: 'load', batch: toWire(batch) }),
    redrive: (options, onProgress) =>
      control.request<RedriveSummary>({ op: 'redrive', options }, (p) => onProgress(p as RedriveSummary)),
    close: async () => {
      control.close();
      s3.destroy();
    },
  };
}

async function directEngine(dataDir: string): Promise<LocalEngine> {
  const s3 = await startLocalS3({ path: join(dataDir, 's3') });
  let clickhouse: ClickHouseClient;
  try {
    clickhouse = await openLocalClickHouse(dataDir, s3.endpoint);
  } catch (error) {
    await s3.close();
    throw new Error(
      `cannot open the embedded ClickHouse in ${join(dataDir, 'clickhouse')}, and no npm start answers on its control channel: another process holds ${dataDir} (${(error as Error).message})`,
    );
  }
  try {
    // An empty data directory (a lost node being rebuilt) gets its tables first.
    await migrate(clickhouse, { kind: 'single' });
  } catch (error) {
    await clickhouse.close();
    await s3.close();
    throw error;
  }
  const operations = engineOperations(clickhouse, Date.now);
  return {
    mode: 'direct',
    s3: s3.client,
    s3Endpoint: s3.endpoint,
    load: operations.load,
    redrive: operations.redrive,
    close: async () => {
      await clickhouse.close();
      await s3.close();
    },
  };
}

/** `npm run dead-letters -- redrive` on a data directory: in its running npm start, or on the stopped directory. */
export async function runLocalRedrive(
  dataDir: string,
  options: RedriveOptions,
  onProgress: (summary: RedriveSummary) => void,
): Promise<RedriveSummary> {
  const engine = await openLocalEngine(dataDir);
  try {
    return await engine.redrive(options, onProgress);
  } finally {
    await engine.close();
  }
}
