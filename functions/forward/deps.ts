import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { z } from 'zod';
import { REGION_PATTERN } from '../shared/auth/api-keys.js';
import { jsonText, readEnv } from '../shared/read-env.js';
import type { ForwarderDeps } from './core.js';

/** A Kinesis stream's ARN: its region is where the client must send. */
const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/;

/**
 * `HOME_STREAMS`: JSON, region → the ARN of that region's main stream, for every region of the
 * deployment (this one included: records that name no other home are put into it).
 */
export const HomeStreamsSchema = jsonText().pipe(
  z
    .record(
      z.string().regex(REGION_PATTERN, 'keys must be AWS region names'),
      z.string().regex(STREAM_ARN, 'values must be Kinesis stream ARNs'),
    )
    .refine(
      (streams) => Object.entries(streams).every(([region, arn]) => STREAM_ARN.exec(arn)?.[1] === region),
      {
        message: "each stream's ARN must be in the region it is listed under",
      },
    ),
);

const Env = z.object({
  HOME_STREAMS: HomeStreamsSchema,
  AWS_REGION: z.string().regex(REGION_PATTERN, 'must be an AWS region name'),
});

/** PutRecords takes at most 500 records and 5 MiB per call. */
const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;

/** `ForwarderDeps.putRecords` over Kinesis: one client per region, a stream per region by ARN. */
export function kinesisRegionPut(
  streams: Readonly<Record<string, string>>,
  client: (region: string) => Pick<KinesisClient, 'send'>,
): ForwarderDeps['putRecords'] {
  return async (region, records) => {
    const arn = streams[region];
    if (arn === undefined) {
      throw new Error(
        `no stream for region ${region}: HOME_STREAMS names ${Object.keys(streams).join(', ')}; a key names a home region this deployment does not have`,
      );
    }
    const kinesis = client(region);
    const failedIndexes: number[] = [];
    let start = 0;
    while (start < records.length) {
      let end = start;
      let bytes = 0;
      while (end < records.length && end - start < MAX_RECORDS_PER_CALL) {
        const r = records[end] as { data: Uint8Array; partitionKey: string };
        const size = r.data.length + Buffer.byteLength(r.partitionKey);
        if (end > start && bytes + size > MAX_BYTES_PER_CALL) break;
        bytes += size;
        end++;
      }
      const call = records.slice(start, end);
      const result = await kinesis.send(
        new PutRecordsCommand({
          StreamARN: arn,
          Records: call.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
        }),
      );
      call.forEach((_, i) => {
        const entry = result.Records?.[i];
        if (!entry || entry.ErrorCode) failedIndexes.push(start + i);
      });
      start = end;
    }
    return { failedIndexes };
  };
}

let deps: ForwarderDeps | undefined;

/** The Lambda's dependencies, built on first use: a Kinesis client per region, reused while warm. */
export function lambdaForwarderDeps(): ForwarderDeps {
  if (deps) return deps;
  const env = readEnv(Env, process.env, 'forwarder');
  const clients = new Map<string, KinesisClient>();
  deps = {
    region: env.AWS_REGION,
    putRecords: kinesisRegionPut(env.HOME_STREAMS, (region) => {
      let client = clients.get(region);
      if (!client) {
        client = new KinesisClient({ region });
        clients.set(region, client);
      }
      return client;
    }),
  };
  return deps;
}
