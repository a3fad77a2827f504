import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ForwarderDeps } from '../functions/forward/core.js';
import { createForwarderHandler } from '../functions/forward/handler.js';
import { kinesisRegionPut } from '../functions/forward/kinesis-put.js';
import type { CheckpointStore } from './checkpoints.js';
import { type EventSourceSettings, KinesisEventSource } from './event-source.js';
import { localKinesisClient } from './kinesis.js';

/**
 * The forwarder's event source: Lambda's defaults, retried forever (a home region that is down
 * keeps its records in the transit stream until it is back), never bisected (every record of a
 * batch fails alike while the region is down), retries at most 2 s apart so a region that comes
 * back gets its records within seconds.
 */
export const LOCAL_FORWARDER_SETTINGS: EventSourceSettings & {
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
} = {
  batchSize: 500,
  maximumBatchingWindowMs: 100,
  bisectBatchOnFunctionError: false,
  maximumRetryAttempts: -1,
  reportBatchItemFailures: true,
  retryBaseMs: 200,
  retryMaxMs: 2_000,
};

/**
 * `ForwarderDeps.putRecords` over the local Kinesis APIs of the regions: `streams` maps each
 * region to its endpoint; the records go to that region's main stream. A region not in the map is
 * an error, so its records stay in the transit stream (and the log says why) until it is added.
 */
export function regionPutRecords(
  streams: Readonly<Record<string, string>>,
  streamName: string,
): { putRecords: ForwarderDeps['putRecords']; close(): void } {
  const clients = new Map<string, KinesisClient>();
  const client = (region: string): KinesisClient => {
    let found = clients.get(region);
    if (found) return found;
    const endpoint = streams[region];
    if (endpoint === undefined) {
      throw new Error(
        `no Kinesis endpoint for region ${region}: EVALFORGE_REGION_STREAMS names ${Object.keys(streams).join(', ') || 'none'}`,
      );
    }
    found = localKinesisClient(endpoint);
    clients.set(region, found);
    return found;
  };
  return {
    // npm start's regions: each by its local endpoint, its stream by name.
    putRecords: kinesisRegionPut((region) => ({
      client: client(region),
      stream: { StreamName: streamName },
    })),
    close: () => {
      for (const c of clients.values()) c.destroy();
    },
  };
}

export interface LocalForwarderOptions {
  /** This process's Kinesis API, which holds the transit stream. */
  readonly kinesis: KinesisClient;
  readonly transitStream: string;
  /** Where forwarded records go in their home region. */
  readonly homeStream: string;
  readonly functionName: string;
  readonly region: string;
  /** Region → its local Kinesis endpoint, this region's own included. */
  readonly streams: Readonly<Record<string, string>>;
  readonly checkpoints: CheckpointStore;
  readonly settings?: Partial<typeof LOCAL_FORWARDER_SETTINGS>;
  readonly pollIntervalMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * The forwarder as a deployment runs it, in this process: an event source on the transit stream
 * driving the forwarder function's own handler, which puts each record into its home region's
 * stream. It has its own checkpoints and backoff, so a home region that is down holds back only
 * the records bound for it, never the loader of this region.
 */
export function localForwarder(options: LocalForwarderOptions): {
  readonly source: KinesisEventSource;
  close(): void;
} {
  const put = regionPutRecords(options.streams, options.homeStream);
  const deps: ForwarderDeps = { putRecords: put.putRecords, region: options.region };
  const source = new KinesisEventSource({
    ...LOCAL_FORWARDER_SETTINGS,
    ...options.settings,
    kinesis: options.kinesis,
    streamName: options.transitStream,
    functionName: options.functionName,
    handler: createForwarderHandler(() => deps),
    checkpoints: options.checkpoints,
    pollIntervalMs: options.pollIntervalMs ?? 250,
    log: options.log,
  });
  return { source, close: put.close };
}
