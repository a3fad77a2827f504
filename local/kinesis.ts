import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ResourceInUseException,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import kinesalite from 'kinesalite';

export interface LocalKinesis {
  readonly endpoint: string;
  readonly client: KinesisClient;
  close(): Promise<void>;
}

/** Credentials for loopback emulators; they never leave the machine. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

/** A Kinesis client for a local endpoint: HTTP/1.1, since the SDK's default HTTP/2 fails there. */
export function localKinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({ ...LOCAL_AWS, endpoint, requestHandler: new NodeHttpHandler() });
}

/**
 * Starts the Kinesis API on loopback (kinesalite): in memory, or on LevelDB under `path` so the
 * stream survives a restart. Port 0 picks a free port.
 */
export async function startLocalKinesis(
  options: { port?: number; path?: string } = {},
): Promise<LocalKinesis> {
  const server = kinesalite({ path: options.path, createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = localKinesisClient(endpoint);
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
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
