import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { putRecordsCalls } from '../shared/kinesis-calls.js';
import { classifyPutError, type PutOutcome, type PutRecords } from './stream-writer.js';

/** A `PutRecords` over a Kinesis data stream; partial failures come back per record. */
export function kinesisPutRecords(client: KinesisClient, streamName: string): PutRecords {
  return async (records) => {
    const outcomes: PutOutcome[] = [];
    for (const call of putRecordsCalls(records)) {
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
