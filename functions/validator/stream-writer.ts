/**
 * Writing records to the stream with retries for exactly the records that failed.
 * Pure: the put function, the sleep and the random source are injected.
 */

export interface StreamRecord {
  readonly data: Uint8Array;
  readonly partitionKey: string;
}

export type WriteFailureCode = 'throttled' | 'unavailable';

export type PutOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: WriteFailureCode;
      readonly message: string;
      /** A fault of the deployment (missing stream, denied access): retrying now cannot help. */
      readonly permanent?: boolean;
    };

/** One attempt to write records; returns one outcome per record, in order. May throw. */
export type PutRecords = (records: readonly StreamRecord[]) => Promise<PutOutcome[]>;

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Four attempts within about 1.5 s: long enough to ride out a throttled second, short for a client. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

export interface RetryDeps {
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

/** Errors no retry within this request can fix: the deployment itself is wrong. */
const PERMANENT =
  /ResourceNotFound|InvalidArgument|AccessDenied|Validation|KMSDisabled|KMSNotFound|KMSInvalidState/i;

/** Maps an error thrown by a whole put call to the outcome of each of its records. */
export function classifyPutError(error: unknown): {
  code: WriteFailureCode;
  message: string;
  permanent?: true;
} {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const message = `${name || 'Error'}: ${(error as { message?: string } | undefined)?.message ?? String(error)}`;
  if (/ProvisionedThroughputExceeded|Throttl|LimitExceeded|TooManyRequests/i.test(name)) {
    return { code: 'throttled', message };
  }
  return PERMANENT.test(name)
    ? { code: 'unavailable', message, permanent: true }
    : { code: 'unavailable', message };
}

/**
 * Writes every record, retrying only the failed ones with capped exponential backoff and full
 * jitter; a permanent failure is not retried. Returns the final outcome of each record: whatever
 * still failed is reported, not lost.
 */
export async function writeWithRetry(
  records: readonly StreamRecord[],
  put: PutRecords,
  policy: RetryPolicy,
  deps: RetryDeps,
): Promise<PutOutcome[]> {
  const outcomes: PutOutcome[] = records.map(() => ({
    ok: false,
    code: 'unavailable',
    message: 'not attempted',
  }));
  let pending = records.map((_, i) => i);
  for (let attempt = 0; attempt < policy.maxAttempts && pending.length > 0; attempt++) {
    if (attempt > 0) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await deps.sleep(Math.floor(deps.random() * ceiling));
    }
    let results: PutOutcome[];
    try {
      results = await put(pending.map((i) => records[i] as StreamRecord));
    } catch (error) {
      const failure = classifyPutError(error);
      results = pending.map(() => ({ ok: false, ...failure }));
    }
    const stillFailing: number[] = [];
    pending.forEach((recordIndex, k) => {
      const result = results[k] ?? { ok: false, code: 'unavailable', message: 'no result for record' };
      outcomes[recordIndex] = result;
      if (!result.ok && !result.permanent) stillFailing.push(recordIndex);
    });
    pending = stillFailing;
  }
  return outcomes;
}
