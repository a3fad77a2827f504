/** How far from the server's clock an event's time may be: ahead (clock skew) and behind (age). */
export interface TimeWindow {
  readonly nowMs: number;
  readonly maxFutureSkewMs: number;
  readonly maxAgeMs: number;
}

/**
 * Why `timestamp` (ISO-8601) is outside the window, or undefined when it is inside: the reason
 * both ingest routes give an event, or a span, the validator will not take for its time.
 */
export function outsideWindow(timestamp: string, window: TimeWindow): string | undefined {
  const at = Date.parse(timestamp);
  if (at > window.nowMs + window.maxFutureSkewMs) {
    return `${timestamp} is more than ${window.maxFutureSkewMs / 60_000} minutes ahead of the server clock (${new Date(window.nowMs).toISOString()}); check the client's clock`;
  }
  if (at < window.nowMs - window.maxAgeMs) {
    return `${timestamp} is more than ${Math.round(window.maxAgeMs / 86_400_000)} days old`;
  }
  return undefined;
}
