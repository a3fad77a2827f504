import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { STREAM_RECORD_FORMAT } from '../../functions/shared/contract/stream-record.js';

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
 * records back to back (gzip members), each record a header line and its events' lines.
 * Returns, per project, how many times each span id appears.
 */
export async function archivedSpans(s3: S3Client, bucket: string): Promise<Map<string, Map<string, number>>> {
  const byProject = new Map<string, Map<string, number>>();
  for (const key of await listKeys(s3, bucket)) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = gunzipSync(
      Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array())),
    ).toString();
    let project: string | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const parsed = JSON.parse(line) as { format?: string; project_id?: string; span_id?: string };
      if (parsed.format === STREAM_RECORD_FORMAT) {
        project = parsed.project_id;
        continue;
      }
      if (project === undefined || parsed.span_id === undefined)
        throw new Error(`${key}: an event line before any header`);
      const spans = byProject.get(project) ?? new Map<string, number>();
      spans.set(parsed.span_id, (spans.get(parsed.span_id) ?? 0) + 1);
      byProject.set(project, spans);
    }
  }
  return byProject;
}
