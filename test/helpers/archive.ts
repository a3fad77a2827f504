import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { decodeArchiveObject } from '../../functions/shared/contract/stream-record.js';

/** Every key in a bucket. */
export async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/**
 * The events an archive holds, read as a user of the raw archive would: each object is stream
 * records back to back (gzip members), each record a header line and its events' lines, or an
 * OTLP export whose spans are the events (`decodeArchiveObject`). Returns, per project, how many
 * times each span id appears.
 */
export async function archivedSpans(s3: S3Client, bucket: string): Promise<Map<string, Map<string, number>>> {
  const byProject = new Map<string, Map<string, number>>();
  for (const key of await listKeys(s3, bucket)) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const inflated = gunzipSync(Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array())));
    for (const record of decodeArchiveObject(inflated)) {
      const spans = byProject.get(record.header.project_id) ?? new Map<string, number>();
      for (const line of record.lines) {
        const { span_id } = JSON.parse(line) as { span_id?: string };
        if (span_id === undefined) throw new Error(`${key}: an event without a span_id`);
        spans.set(span_id, (spans.get(span_id) ?? 0) + 1);
      }
      byProject.set(record.header.project_id, spans);
    }
  }
  return byProject;
}
