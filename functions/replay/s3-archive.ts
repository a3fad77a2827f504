import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  RestoreObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type ArchiveObjectInfo, type ArchiveReader, parseRestoreHeader, type RestoreState } from './core.js';

/**
 * The archive bucket through the S3 API: the deployed tier's bucket, or the local S3 API's under
 * npm start. A restore that S3 reports as already under way (RestoreAlreadyInProgress) is not an
 * error: asking twice is what a rerun does.
 */
export class S3ArchiveReader implements ArchiveReader {
  readonly location: string;

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {
    this.location = `s3://${bucket}`;
  }

  async list(prefix: string): Promise<ArchiveObjectInfo[]> {
    const objects: ArchiveObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        objects.push({
          key: object.Key,
          size: object.Size ?? 0,
          ...(object.StorageClass === undefined ? {} : { storageClass: String(object.StorageClass) }),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async get(key: string): Promise<Buffer> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!object.Body) throw new Error(`${this.location}/${key} has no body`);
    return Buffer.from(await object.Body.transformToByteArray());
  }

  async restoreState(key: string): Promise<RestoreState> {
    const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    return parseRestoreHeader(head.Restore);
  }

  async restore(key: string, tier: 'Standard' | 'Bulk', days: number): Promise<void> {
    try {
      await this.s3.send(
        new RestoreObjectCommand({
          Bucket: this.bucket,
          Key: key,
          RestoreRequest: { Days: days, GlacierJobParameters: { Tier: tier } },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'RestoreAlreadyInProgress') return;
      throw error;
    }
  }
}
