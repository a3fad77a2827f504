import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { putRecordsCalls } from '../shared/kinesis-calls.js';
import type { ForwarderDeps } from './core.js';

/** Where a region's records go: its client, and its stream by ARN or by name. */
export type RegionTarget = (region: string) => {
  readonly client: Pick<KinesisClient, 'send'>;
  readonly stream: { readonly StreamARN: string } | { readonly StreamName: string };
};

/**
 * `ForwarderDeps.putRecords` over Kinesis: each region's records to its stream, in the calls
 * PutRecords takes, naming the records it did not take. The deployed forwarder addresses streams
 * by ARN, npm start's regions by their local endpoint and name.
 */
export function kinesisRegionPut(target: RegionTarget): ForwarderDeps['putRecords'] {
  return async (region, records) => {
    const { client, stream } = target(region);
    const failedIndexes: number[] = [];
    let offset = 0;
    for (const call of putRecordsCalls(records)) {
      const result = await client.send(
        new PutRecordsCommand({
          ...stream,
          Records: call.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
        }),
      );
      call.forEach((_, i) => {
        const entry = result.Records?.[i];
        if (!entry || entry.ErrorCode) failedIndexes.push(offset + i);
      });
      offset += call.length;
    }
    return { failedIndexes };
  };
}
