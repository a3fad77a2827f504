import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
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

/** The part of s3rver 3.7 this module uses; the package ships no types. */
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer?: Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
}) => S3rverServer;

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverConstructor;

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
 * they survive a restart. Port 0 picks a free port.
 */
export async function startLocalS3(options: { path: string; port?: number }): Promise<LocalS3> {
  await mkdir(options.path, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory: options.path,
    silent: true,
  });
  const { port } = await server.run();
  return localService(port, localS3Client, async () => {
    server.httpServer?.closeAllConnections();
    await server.close();
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
