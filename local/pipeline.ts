import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { IncreaseStreamRetentionPeriodCommand } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { ensurePrivateDir } from '../cli/private-dir.js';
import { migrate } from '../clickhouse/migrate.js';
import { applyRetention, type TableRetention } from '../clickhouse/retention.js';
import { createLoaderHandler } from '../functions/load/handler.js';
import { createQueryHandler } from '../functions/query/handler.js';
import { CachedKeyStore } from '../functions/shared/auth/api-keys.js';
import { FileKeyStore } from '../functions/shared/auth/key-store-file.js';
import { QUERY_ROUTE_PATTERNS } from '../functions/shared/http.js';
import type { LoadSummary } from '../functions/shared/load/core.js';
import { parseModelPrices } from '../functions/shared/model-prices.js';
import {
  DEFAULT_VALIDATOR_LIMITS,
  type RequestSummary,
  type ValidatorDeps,
} from '../functions/validator/core.js';
import { createValidatorHandler } from '../functions/validator/handler.js';
import { kinesisPutRecords } from '../functions/validator/kinesis-put.js';
import { SYSTEM_RUNTIME } from '../functions/validator/runtime.js';
import { type AlbServer, startAlbServer } from './alb-server.js';
import { CheckpointStore } from './checkpoints.js';
import {
  describeRetention,
  LOCAL_COLD_STORAGE,
  LOCAL_RETENTION,
  openLocalClickHouse,
} from './cold-storage.js';
import { startControlServer } from './control-channel.js';
import { dashboardAssets } from './dashboard-assets.js';
import { DEV_KEY_FILE, type DevKey, ensureDevKey } from './dev-key.js';
import { type EventSourceSettings, type FailedBatch, KinesisEventSource } from './event-source.js';
import { LocalFirehose } from './firehose.js';
import { FirehoseSource } from './firehose-source.js';
import { localForwarder } from './forwarder.js';
import { ensureStream, type LocalKinesis, startLocalKinesis } from './kinesis.js';
import { engineControlHandlers } from './local-jobs.js';
import { METRICS_PATH, metricsAnswer } from './prometheus.js';
import { ensureBucket, type LocalS3, startLocalS3 } from './s3.js';

/** Names shared with the deployed stacks, so local data looks like the real thing. */
export const LOCAL_NAMES = {
  stream: 'evalforge-events',
  /** With a region set: records of projects homed in another region, read by the forwarder. */
  transitStream: 'evalforge-transit',
  bucket: 'evalforge-archive',
  deliveryStream: 'evalforge-archive',
  validator: 'evalforge-ingest-validator',
  loader: 'evalforge-loader',
  query: 'evalforge-query',
  forwarder: 'evalforge-forwarder',
} as const;

/** The local event source's settings: Lambda's, with a short window so events show up within seconds. */
export const LOCAL_LOADER_SETTINGS: EventSourceSettings = {
  batchSize: 100,
  maximumBatchingWindowMs: 500,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: -1,
  reportBatchItemFailures: true,
};

export interface PipelineOptions {
  readonly dataDir: string;
  /** HTTP port of the API; 0 picks a free one. */
  readonly port: number;
  readonly host?: string;
  /** Shards of a new stream; an existing stream keeps its own. */
  readonly shards?: number;
  readonly loader?: Partial<EventSourceSettings>;
  /** The Firehose stand-in's buffer: Firehose's smallest size hint is 1 MiB, its interval 0–900 s. */
  readonly archive?: { readonly bufferSizeBytes?: number; readonly bufferIntervalMs?: number };
  /** A key to use instead of the one in `<data dir>/dev-api-key` (EVALFORGE_API_KEY). */
  readonly apiKey?: string;
  /**
   * How long ClickHouse keeps what, on its hot volume (the data directory) and its cold one (a
   * bucket of the local S3 API), applied at each start.
   * @default LOCAL_RETENTION (tier 1's)
   */
  readonly retention?: TableRetention;
  /**
   * Ingest requests handled at once, as the validator's reserved concurrency; more are answered
   * 503 with Retry-After, so an overload costs neither memory nor the latency of what is taken.
   */
  readonly ingestConcurrency?: number;
  /** How often idle shards are polled. */
  readonly pollIntervalMs?: number;
  /**
   * The region this pipeline plays in a simulation across regions (EVALFORGE_REGION): events of a
   * project homed in another region go to the transit stream, and the forwarder puts them into
   * that region's stream.
   * @default - none: one region, every key's events stored here
   */
  readonly region?: string;
  /**
   * The key store's file, which every region of a simulation shares (the global table's stand-in).
   * @default - `<data dir>/keys.json`
   */
  readonly keysFile?: string;
  /** Port of the local Kinesis API; fixed, so other regions reach it across restarts. @default 0 - a free port */
  readonly kinesisPort?: number;
  /** Each other region's local Kinesis endpoint, where the forwarder puts its projects' records. @default - none */
  readonly regionStreams?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

/** Running totals since start. */
export interface PipelineStats {
  readonly requests: number;
  readonly eventsAccepted: number;
  readonly eventsRejected: number;
  readonly eventsLoaded: number;
  readonly duplicateRecords: number;
  readonly deadLetters: number;
  /** Age of the oldest acknowledged record not yet in ClickHouse. */
  readonly loaderLagMs: number;
  /** Age of the oldest acknowledged record not yet in an archive object. */
  readonly archiveLagMs: number;
  readonly archiveObjects: number;
  readonly archiveBufferedBytes: number;
  readonly loaderRetries: number;
  /** With a region set: records put into their home region's stream, and the forwarder's state. */
  readonly forwarder?: {
    readonly records: number;
    /** Age of the oldest transit record not yet in its home region's stream. */
    readonly lagMs: number;
    readonly retries: number;
  };
}

export interface Pipeline {
  readonly url: string;
  readonly dataDir: string;
  readonly devKey: DevKey;
  readonly kinesisEndpoint: string;
  readonly s3Endpoint: string;
  /** The region it plays, when it plays one. */
  readonly region?: string;
  /** The key store's file. */
  readonly keysFile: string;
  /** Where ClickHouse's cold parts go: a bucket and prefix of the local S3 API. */
  readonly coldStorage: { readonly bucket: string; readonly prefix: string };
  /** The retention applied at start. */
  readonly retention: TableRetention;
  readonly clickhouse: ClickHouseClient;
  readonly s3: S3Client;
  stats(): PipelineStats;
  /**
   * Resolves once every acknowledged event is in ClickHouse and in the archive: the loader and
   * the archive reader are at the end of every shard and the archive buffer is stored.
   */
  settle(timeoutMs?: number): Promise<void>;
  /**
   * Stops. With `drain` (Ctrl-C), the API stops taking requests and everything acknowledged is
   * loaded and archived first; without, work in flight finishes and the rest waits for the next
   * start. Nothing acknowledged is lost either way: the stream keeps it until it is checkpointed.
   */
  close(options?: { drain: boolean }): Promise<void>;
}

/**
 * EvalForge on one machine: the ingest API and the query API behind a local load balancer, the
 * local Kinesis API, the event source that drives the loader, the Firehose stand-in writing the
 * archive to the local S3 API, and embedded ClickHouse. Every handler is the Lambda's own code.
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const dataDir = resolve(options.dataDir);
  const log = options.log ?? (() => undefined);
  // It holds the dev API key, the key store and every event: its owner's alone.
  await ensurePrivateDir(dataDir);
  const started: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
  };

  try {
    // First: ClickHouse's cold volume is a bucket of it.
    const s3: LocalS3 = await startLocalS3({ path: join(dataDir, 's3') });
    started.push(s3);
    await ensureBucket(s3.client, LOCAL_NAMES.bucket);
    await ensureBucket(s3.client, LOCAL_COLD_STORAGE.bucket);

    const clickhouse = await openLocalClickHouse(dataDir, s3.endpoint).catch((error: unknown) => {
      throw new Error(
        `cannot open the embedded ClickHouse in ${join(dataDir, 'clickhouse')}: another EvalForge process is probably using ${dataDir} (one process per data directory); stop it, or set EVALFORGE_DATA_DIR to another directory (${(error as Error).message})`,
      );
    });
    started.push({ close: () => clickhouse.close() });
    const single = { kind: 'single' } as const;
    const applied = await migrate(clickhouse, single);
    if (applied.applied.length > 0) log(`ClickHouse: applied migrations ${applied.applied.join(', ')}`);
    const retention = options.retention ?? LOCAL_RETENTION;
    const retained = await applyRetention(clickhouse, single, retention);
    log(
      `ClickHouse: ${retained.applied ? 'applied retention' : 'retention'}: ${describeRetention(retention)}`,
    );

    const kinesis: LocalKinesis = await startLocalKinesis({
      path: join(dataDir, 'kinesis'),
      port: options.kinesisPort ?? 0,
    });
    started.push(kinesis);
    const streams: string[] = [LOCAL_NAMES.stream];
    await ensureStream(kinesis.client, LOCAL_NAMES.stream, options.shards ?? 4);
    if (options.region !== undefined) {
      // Two shards: forwarding is a put per record, far lighter than loading.
      await ensureStream(kinesis.client, LOCAL_NAMES.transitStream, 2);
      streams.push(LOCAL_NAMES.transitStream);
    }
    // A week, as a deployment could keep: records wait that long for a stopped pipeline (or a
    // home region that is down) to come back.
    for (const stream of streams) {
      await kinesis.client
        .send(new IncreaseStreamRetentionPeriodCommand({ StreamName: stream, RetentionPeriodHours: 168 }))
        .catch(() => undefined);
    }

    const keysFile = resolve(options.keysFile ?? join(dataDir, 'keys.json'));
    const keyFile = new FileKeyStore(keysFile);
    const devKey = await ensureDevKey(keyFile, join(dataDir, DEV_KEY_FILE), options.apiKey, new Date());
    // Keys revoked with `npm run keys` stop working within seconds, as with the deployed cache.
    const keys = new CachedKeyStore(keyFile, {
      positiveTtlMs: 5_000,
      negativeTtlMs: 1_000,
      maxEntries: 1_000,
      now: Date.now,
    });

    const totals = { requests: 0, accepted: 0, rejected: 0, loaded: 0, duplicates: 0, dead: 0 };
    const validatorDeps: ValidatorDeps = {
      keys,
      putRecords: kinesisPutRecords(kinesis.client, LOCAL_NAMES.stream),
      ...SYSTEM_RUNTIME,
      limits: DEFAULT_VALIDATOR_LIMITS,
      ...(options.region === undefined
        ? {}
        : {
            region: options.region,
            transit: kinesisPutRecords(kinesis.client, LOCAL_NAMES.transitStream),
          }),
      // As the deployed validator reads it: model prices for OTLP spans with tokens and no cost.
      ...(process.env.MODEL_PRICES
        ? { modelPrices: parseModelPrices(process.env.MODEL_PRICES, 'MODEL_PRICES') }
        : {}),
    };
    const onRequest = (summary: RequestSummary) => {
      totals.requests++;
      totals.accepted += summary.eventsAccepted;
      totals.rejected += summary.eventsRejected;
      if (summary.streamError) log(`ingest: the stream failed a request: ${summary.streamError}`);
      // The client's 503 says only that the key could not be checked; the reason is for this log.
      if (summary.keyStoreError) log(`ingest: the key store failed a request: ${summary.keyStoreError}`);
    };
    const onLoad = (summary: LoadSummary) => {
      totals.loaded += summary.events;
      totals.duplicates += summary.duplicateRecords;
      totals.dead += summary.deadLetters;
      // One line each time the count rises, saying how to read them.
      if (summary.deadLetters > 0) {
        log(
          `loader: ${summary.deadLetters} dead letter${summary.deadLetters === 1 ? '' : 's'} (refused events or unreadable records) written to load_dead_letters, ${totals.dead} in this run; npm run dead-letters lists the refused events`,
        );
      }
    };

    const checkpoints = join(dataDir, 'checkpoints');
    const loader = new KinesisEventSource({
      ...LOCAL_LOADER_SETTINGS,
      ...options.loader,
      kinesis: kinesis.client,
      streamName: LOCAL_NAMES.stream,
      functionName: LOCAL_NAMES.loader,
      handler: createLoaderHandler(async () => clickhouse, { onSummary: onLoad }),
      checkpoints: await CheckpointStore.open(join(checkpoints, 'loader.json')),
      onFailure: (batch) => writeFailedBatch(join(dataDir, 'failed-batches'), batch),
      pollIntervalMs: options.pollIntervalMs ?? 250,
      log,
    });

    let deliveredRecords = 0;
    let archiveSource: FirehoseSource | undefined;
    const firehose = new LocalFirehose({
      s3: s3.client,
      bucket: LOCAL_NAMES.bucket,
      deliveryStreamName: LOCAL_NAMES.deliveryStream,
      bufferSizeBytes: options.archive?.bufferSizeBytes ?? 8 * 1024 * 1024,
      bufferIntervalMs: options.archive?.bufferIntervalMs ?? 10_000,
      onDelivered: async (positions) => {
        const total = firehose.stats().deliveredRecords;
        await archiveSource?.delivered(positions, total - deliveredRecords);
        deliveredRecords = total;
      },
      log,
    });
    archiveSource = new FirehoseSource({
      kinesis: kinesis.client,
      streamName: LOCAL_NAMES.stream,
      firehose,
      checkpoints: await CheckpointStore.open(join(checkpoints, 'archive.json')),
      pollIntervalMs: options.pollIntervalMs ?? 250,
      log,
    });
    const archive = archiveSource;

    const forwarder =
      options.region === undefined
        ? undefined
        : localForwarder({
            kinesis: kinesis.client,
            transitStream: LOCAL_NAMES.transitStream,
            homeStream: LOCAL_NAMES.stream,
            functionName: LOCAL_NAMES.forwarder,
            region: options.region,
            streams: { ...options.regionStreams, [options.region]: kinesis.endpoint },
            checkpoints: await CheckpointStore.open(join(checkpoints, 'forwarder.json')),
            pollIntervalMs: options.pollIntervalMs ?? 250,
            log,
          });
    if (forwarder) started.push({ close: async () => forwarder.close() });

    await loader.start();
    await archive.start();
    await forwarder?.source.start();
    let consumersStopped = false;
    const stopConsumers = async (drain: boolean) => {
      if (consumersStopped) return;
      consumersStopped = true;
      await Promise.all([
        loader.stop({ drain }),
        archive.stop({ drain }),
        ...(forwarder ? [forwarder.source.stop({ drain })] : []),
      ]);
      // Stored records are checkpointed; a record buffered when not draining is read again next start.
      if (drain) await firehose.close();
    };
    started.push({ close: () => stopConsumers(false) });

    const alb: AlbServer = await startAlbServer({
      port: options.port,
      host: options.host,
      maxBodyBytes: DEFAULT_VALIDATOR_LIMITS.maxBodyBytes,
      routes: [
        {
          functionName: 'metrics',
          pathPatterns: [METRICS_PATH],
          handler: (event) => metricsAnswer(event, keys, () => stats()),
        },
        {
          functionName: LOCAL_NAMES.query,
          pathPatterns: QUERY_ROUTE_PATTERNS,
          // A project homed in another region is answered 421: its events are in that region's store.
          handler: createQueryHandler(() => ({
            keys,
            clickhouse,
            now: Date.now,
            ...(options.region === undefined ? {} : { region: options.region }),
          })),
          maxConcurrency: 8,
        },
        { functionName: 'dashboard', ...dashboardAssets(join(dataDir, 'dashboard')) },
      ],
      defaultRoute: {
        functionName: LOCAL_NAMES.validator,
        handler: createValidatorHandler(() => validatorDeps, { onSummary: onRequest }),
        maxConcurrency: options.ingestConcurrency ?? 4,
      },
      onError: (name, error) => log(`${name} failed: ${error.stack ?? error.message}`),
    });
    started.push({ close: () => alb.close() });
    // `npm run replay` and `npm run dead-letters -- redrive` load through this process while it runs.
    const control = await startControlServer(
      dataDir,
      engineControlHandlers({ clickhouse, s3Endpoint: s3.endpoint, now: Date.now }),
    );
    started.push(control);

    const stats = (): PipelineStats => {
      const loaderStats = loader.stats();
      const archiveStats = archive.stats();
      const firehoseStats = firehose.stats();
      return {
        requests: totals.requests,
        eventsAccepted: totals.accepted,
        eventsRejected: totals.rejected,
        eventsLoaded: totals.loaded,
        duplicateRecords: totals.duplicates,
        deadLetters: totals.dead,
        loaderLagMs: loaderStats.lagMs,
        archiveLagMs: archiveStats.lagMs,
        archiveObjects: firehoseStats.deliveredObjects,
        archiveBufferedBytes: firehoseStats.bufferedBytes,
        loaderRetries: loaderStats.failures,
        ...(forwarder && {
          forwarder: {
            records: forwarder.source.stats().recordsHandled,
            lagMs: forwarder.source.stats().lagMs,
            retries: forwarder.source.stats().failures,
          },
        }),
      };
    };

    let closed = false;
    return {
      url: alb.url,
      dataDir,
      devKey,
      kinesisEndpoint: kinesis.endpoint,
      s3Endpoint: s3.endpoint,
      ...(options.region === undefined ? {} : { region: options.region }),
      keysFile,
      coldStorage: { bucket: LOCAL_COLD_STORAGE.bucket, prefix: LOCAL_COLD_STORAGE.prefix },
      retention,
      clickhouse,
      s3: s3.client,
      stats,
      settle: async (timeoutMs = 60_000) => {
        const since = Date.now();
        const deadline = since + timeoutMs;
        // Every consumer must have found every shard at its end in a read begun after this call:
        // then every record acknowledged before it is loaded, or in the archive buffer, or (the
        // forwarder's) in its home region's stream.
        const behind = () =>
          loader.stats().caughtUpAt < since ||
          archive.stats().caughtUpAt < since ||
          (forwarder !== undefined && forwarder.source.stats().caughtUpAt < since);
        while (behind()) {
          if (Date.now() > deadline) throw new Error(`the pipeline did not settle within ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 20));
        }
        await firehose.flush();
      },
      close: async ({ drain } = { drain: true }) => {
        if (closed) return;
        closed = true;
        // No new acknowledgements or replays, then the consumers, then the engines they use.
        await control.close();
        started.pop();
        await alb.close();
        started.pop();
        await stopConsumers(drain);
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function writeFailedBatch(dir: string, batch: FailedBatch): Promise<void> {
  await mkdir(dir, { recursive: true });
  const name = `${batch.shardId}-${batch.startSequenceNumber}-${batch.endSequenceNumber}.json`;
  await writeFile(join(dir, name), `${JSON.stringify(batch, null, 2)}\n`);
}
