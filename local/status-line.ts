import type { PipelineStats } from './pipeline.js';

/**
 * What `npm start` prints about its pipeline: the line once it serves, the status line every few
 * seconds and the line when it has stopped. Load tests pick the status lines out of its output by
 * their `ingest `.
 */

/** What `npm start` prints once it serves; a process that started it waits for this line. */
export const READY_LINE = 'EvalForge is running';

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const n = (value: number) => NUMBER.format(value);
export const seconds = (ms: number) => `${(ms / 1_000).toFixed(1)} s`;

const deadLetters = (count: number) => `${n(count)} dead letter${count === 1 ? '' : 's'}`;

/**
 * The status line for the `elapsedSec` since `last`, or undefined when nothing moved: then no
 * line is printed. The dead-letter total is shown once there is one.
 */
export function statusLine(
  stats: PipelineStats,
  last: PipelineStats,
  elapsedSec: number,
): string | undefined {
  const busy =
    stats.eventsAccepted !== last.eventsAccepted ||
    stats.eventsLoaded !== last.eventsLoaded ||
    stats.deadLetters !== last.deadLetters ||
    stats.loaderLagMs > 0 ||
    stats.archiveLagMs > 0;
  if (!busy) return undefined;
  return (
    `ingest ${n((stats.eventsAccepted - last.eventsAccepted) / elapsedSec)} events/s · loaded ${n((stats.eventsLoaded - last.eventsLoaded) / elapsedSec)} events/s · ` +
    `lag: ClickHouse ${seconds(stats.loaderLagMs)}, archive ${seconds(stats.archiveLagMs)} · ` +
    `totals: ${n(stats.eventsAccepted)} accepted, ${n(stats.eventsRejected)} rejected, ${n(stats.eventsLoaded)} loaded, ${n(stats.archiveObjects)} archive objects` +
    (stats.deadLetters > 0 ? `, ${deadLetters(stats.deadLetters)}` : '') +
    (stats.loaderRetries > last.loaderRetries
      ? ` · ${stats.loaderRetries - last.loaderRetries} loader retries`
      : '')
  );
}

/** The line once a drain has finished: what this run took in, and its dead letters if it had any. */
export function stoppedLine(stats: PipelineStats): string {
  const line = `stopped: ${n(stats.eventsAccepted)} events accepted and ${n(stats.eventsLoaded)} loaded in this run`;
  return stats.deadLetters > 0
    ? `${line}; ${deadLetters(stats.deadLetters)} in load_dead_letters (npm run dead-letters lists them)`
    : line;
}
