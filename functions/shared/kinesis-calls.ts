/** PutRecords takes at most 500 records and (in older documentation) 5 MiB of data and partition keys per call. */
export const PUT_RECORDS_LIMITS = { records: 500, bytes: 5 * 1024 * 1024 } as const;

/**
 * Records in the calls PutRecords takes, in order: at most 500 and 5 MiB each (a record alone
 * over the bytes still gets a call of its own, which Kinesis then refuses by name).
 */
export function putRecordsCalls<T extends { readonly data: Uint8Array; readonly partitionKey: string }>(
  records: readonly T[],
): T[][] {
  const calls: T[][] = [];
  let call: T[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = record.data.length + Buffer.byteLength(record.partitionKey);
    if (
      call.length > 0 &&
      (call.length >= PUT_RECORDS_LIMITS.records || bytes + size > PUT_RECORDS_LIMITS.bytes)
    ) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    call.push(record);
    bytes += size;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}
