import { mkdir } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import {
  BucketAlreadyExists,
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  HeadBucketCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { LOCAL_AWS, type LocalService, localService } from './local-aws.js';

/** The S3 API on loopback, and its client. */
export type LocalS3 = LocalService<S3Client>;

/** s3rver knows one access key and answers InvalidAccessKeyId to any other. */
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * An S3 client for a local endpoint. Path-style addressing, since buckets are not host names on
 * loopback; checksums only when an operation requires them, since otherwise the SDK streams
 * bodies with aws-chunked framing, which s3rver stores as the object's bytes.
 */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    region: LOCAL_AWS.region,
    credentials: S3RVER_CREDENTIALS,
    endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * Starts the S3 API on loopback (s3rver), keeping buckets and objects as files under `path` so
 * they survive a restart. Port 0 picks a free port. It runs in a worker thread: the service is a
 * separate machine in AWS, and here it must answer while the caller's thread is blocked, as the
 * embedded ClickHouse blocks it reading its cold disk when it opens.
 */
export async function startLocalS3(options: { path: string; port?: number }): Promise<LocalS3> {
  await mkdir(options.path, { recursive: true });
  const worker = new Worker(new URL('./s3-worker.js', import.meta.url), {
    workerData: { path: options.path, port: options.port ?? 0 },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    const exited = (code: number) => reject(new Error(`the local S3 API stopped at start (exit ${code})`));
    worker.once('error', failed);
    worker.once('exit', exited);
    worker.once('message', (message: { port?: number; error?: string }) => {
      worker.off('error', failed);
      worker.off('exit', exited);
      if (message.port === undefined) reject(new Error(`the local S3 API did not start: ${message.error}`));
      else resolve(message.port);
    });
  });
  return localService(port, localS3Client, async () => {
    const closed = new Promise<void>((resolve) => worker.once('message', () => resolve()));
    worker.postMessage('close');
    await closed;
    await worker.terminate();
  });
}

/** Creates the bucket unless it exists already. */
export async function ensureBucket(client: S3Client, name: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou) && !(error instanceof BucketAlreadyExists)) throw error;
    // s3rver answers BucketAlreadyExists for its own buckets too; S3 says so for another account's,
    // which this account cannot use. HeadBucket tells the two apart.
    await client.send(new HeadBucketCommand({ Bucket: name }));
  }
}
