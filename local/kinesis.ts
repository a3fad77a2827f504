import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ResourceInUseException,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LOCAL_AWS, type LocalService, localService } from './local-aws.js';

/** The Kinesis API on loopback, and its client. */
export type LocalKinesis = LocalService<KinesisClient>;

/** A Kinesis client for a local endpoint: HTTP/1.1, since the SDK's default HTTP/2 fails there. */
export function localKinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({ ...LOCAL_AWS, endpoint, requestHandler: new NodeHttpHandler() });
}

/**
 * Starts the Kinesis API on loopback (kinesalite): in memory, or on LevelDB under `path` so the
 * stream survives a restart. Port 0 picks a free port. It runs in a worker thread: the service
 * is a separate machine in AWS, and here its work must not block the caller's event loop.
 */
export async function startLocalKinesis(
  options: { port?: number; path?: string } = {},
): Promise<LocalKinesis> {
  const worker = new Worker(new URL('./kinesis-worker.js', import.meta.url), {
    workerData: { path: options.path, port: options.port ?? 0 },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    const exited = (code: number) =>
      reject(new Error(`the local Kinesis API stopped at start (exit ${code})`));
    worker.once('error', failed);
    worker.once('exit', exited);
    worker.once('message', (message: { port?: number; error?: string }) => {
      worker.off('error', failed);
      worker.off('exit', exited);
      if (message.port === undefined)
        reject(new Error(`the local Kinesis API did not start: ${message.error}`));
      else resolve(message.port);
    });
  });
  return localService(port, localKinesisClient, async () => {
    const closed = new Promise<void>((resolve) => worker.once('message', () => resolve()));
    worker.postMessage('close');
    await closed;
    // LevelDB is closed with the thread; terminate waits for it.
    await worker.terminate();
  });
}

/** Creates the stream unless it exists, and waits until it is ACTIVE. */
export async function ensureStream(
  client: KinesisClient,
  streamName: string,
  shardCount: number,
): Promise<void> {
  try {
    await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let i = 0; i < 100; i++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await sleep(50);
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}
