/**
 * Retry timing: exponential backoff with full jitter, never sooner than the server's Retry-After.
 */

/** A Retry-After longer than this is clamped: a misconfigured server must not park a batch for hours. */
export const MAX_RETRY_AFTER_MS = 300_000;

export interface BackoffPolicy {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/**
 * How long to wait before retry number `retry` (0 for the first retry): a uniform draw in
 * `[0, min(maxBackoffMs, initialBackoffMs * 2^retry))`, raised to `retryAfterMs` when the
 * server asked for more.
 */
export function retryDelayMs(
  retry: number,
  policy: BackoffPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** retry);
  const jittered = random() * ceiling;
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}

const DELAY_SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * A Retry-After header in milliseconds: delay-seconds (`"1"`) or an HTTP-date. `undefined` when
 * absent or unreadable; a date in the past gives 0.
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (DELAY_SECONDS.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
