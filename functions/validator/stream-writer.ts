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
  | { readonly ok: false; readonly code: WriteFailureCode; readonly message: string };

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

/** Maps an error thrown by a whole put call to the outcome of each of its records. */
export function classifyPutError(error: unknown): { code: WriteFailureCode; message: string } {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const message = (error as { message?: string } | undefined)?.message ?? String(error);
  const throttled = /ProvisionedThroughputExceeded|Throttl|LimitExceeded|TooManyRequests/i.test(name);
  return { code: throttled ? 'throttled' : 'unavailable', message: `${name || 'Error'}: ${message}` };
}

/**
 * Writes every record, retrying only the failed ones with capped exponential backoff and full
 * jitter. Returns the final outcome of each record: whatever still failed is reported, not lost.
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
      if (!result.ok) stillFailing.push(recordIndex);
    });
    pending = stillFailing;
  }
  return outcomes;
}
