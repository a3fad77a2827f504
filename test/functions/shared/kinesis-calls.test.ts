import { describe, expect, it } from 'vitest';
import { putRecordsCalls } from '../../../functions/shared/kinesis-calls.js';

/** The calls PutRecords takes, for the validator, the forwarder and npm start's regions alike. */
describe('putRecordsCalls', () => {
  const record = (bytes: number) => ({ data: new Uint8Array(bytes), partitionKey: 'k'.repeat(64) });
  it.each([
    ['one call for a few records', [record(10), record(10)], [2]],
    ['500 records a call at most', Array.from({ length: 1_001 }, () => record(1)), [500, 500, 1]],
    ['5 MiB a call at most', Array.from({ length: 6 }, () => record(1_000_000)), [5, 1]],
    ['nothing for no records', [], []],
  ])('%s', (_, records, sizes) => {
    expect(putRecordsCalls(records).map((c) => c.length)).toEqual(sizes);
  });
});
