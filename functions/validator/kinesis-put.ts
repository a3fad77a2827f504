import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { classifyPutError, type PutOutcome, type PutRecords, type StreamRecord } from './stream-writer.js';

/** PutRecords takes at most 500 records and (in older documentation) 5 MiB per call. */
const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;

function chunk(records: readonly StreamRecord[]): StreamRecord[][] {
  const calls: StreamRecord[][] = [];
  let current: StreamRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = record.data.length + record.partitionKey.length;
    if (
      current.length > 0 &&
      (current.length === MAX_RECORDS_PER_CALL || bytes + size > MAX_BYTES_PER_CALL)
    ) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

/** A `PutRecords` over a Kinesis data stream; partial failures come back per record. */
export function kinesisPutRecords(client: KinesisClient, streamName: string): PutRecords {
  return async (records) => {
    const outcomes: PutOutcome[] = [];
    for (const call of chunk(records)) {
      try {
        const result = await client.send(
          new PutRecordsCommand({
            StreamName: streamName,
            Records: call.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
          }),
        );
        call.forEach((_, i) => {
          const entry = result.Records?.[i];
          if (entry && !entry.ErrorCode) {
            outcomes.push({ ok: true });
          } else {
            const failure = classifyPutError({
              name: entry?.ErrorCode ?? 'MissingResult',
              message: entry?.ErrorMessage ?? 'PutRecords returned no result for this record',
            });
            outcomes.push({ ok: false, ...failure });
          }
        });
      } catch (error) {
        const failure = classifyPutError(error);
        for (const _ of call) outcomes.push({ ok: false, ...failure });
      }
    }
    return outcomes;
  };
}
