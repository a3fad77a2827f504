import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { readNumber } from '../cli/flags.js';
import { isMainModule } from '../cli/main-module.js';
import { runLoadCommand } from '../load-tests/cli.js';
import { parseLoadOptions } from '../load-tests/options.js';
import { againstLimit, type BenchFigure, formatInteger, verdict } from './figures.js';
import { writeFiguresFile } from './figures-file.js';

/**
 * End to end on this machine: `npm start` (its real entry point, in a process of its own) under
 * the load generator's open model (`npm run load`, `load-tests/`): realistic events in gzip
 * batches as the SDK sends them, three projects, each request sent when due whatever the earlier
 * ones got, retried by the SDK's rules. Measures what the API acknowledged per second, request
 * latency (HDR histogram), freshness (a probe event's acknowledgement → the query API returning
 * it), how long the backlog took to drain, the pipeline process's memory, and that every
 * acknowledged event is in ClickHouse exactly once.
 *
 * Every request is made and compressed before the clock starts (`--generate ahead`), so the
 * generator does not take the cores the pipeline needs; every event is unique, so each is loaded.
 */

export const PIPELINE_TARGETS = {
  acceptedEventsPerSec: 10_000,
  ingestP99Ms: 100,
  freshnessP95Ms: 5_000,
} as const;

/** Resident memory of a process, now and at its peak, from /proc (Linux). */
async function memoryMiB(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

export interface PipelineBenchResult {
  readonly cores: number;
  readonly offeredEventsPerSec: number;
  readonly durationSec: number;
  /** Events per request on average (a project's batch that does not fill goes after 1 s). */
  readonly eventsPerRequest: number;
  readonly requestBytes: number;
  readonly acceptedEventsPerSec: number;
  readonly statusCounts: Record<string, number>;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly freshnessP50Ms: number;
  readonly freshnessP95Ms: number;
  readonly probes: number;
  /** Probes the API took (a throttled one is not a freshness sample). */
  readonly probesAccepted: number;
  /** Accepted probes the query API never returned by the verification's deadline. */
  readonly probesNeverSeen: number;
  /** After the last answer, how long until ClickHouse held every acknowledged event. */
  readonly drainSec: number;
  /** Events still refused (503) after the SDK's retries: not stored, and the client was told. */
  readonly refusedEvents: number;
  /** Acknowledged events missing from ClickHouse, and rows stored more than once: both must be 0. */
  readonly lostEvents: number;
  readonly duplicatedEvents: number;
  readonly rssAt10sMiB: number;
  readonly rssAtEndMiB: number;
  readonly peakRssMiB: number;
}

export async function benchPipeline(options: {
  rate: number;
  durationSec: number;
  batch: number;
}): Promise<PipelineBenchResult> {
  const parsed = parseLoadOptions([
    '--target',
    'local',
    '--rate',
    String(options.rate),
    '--duration',
    String(options.durationSec),
    '--batch',
    String(options.batch),
  ]);
  if (parsed === 'help') throw new Error('unreachable: no --help given');
  let pid = 0;
  let rssAt10s = Number.NaN;
  let memory = { rss: Number.NaN, peak: Number.NaN };
  const report = await runLoadCommand(
    // Ahead whatever the size: memory is cheaper here than the CPU the pipeline needs.
    { ...parsed, generate: 'ahead' },
    {
      // The pipeline's status lines and the progress, as they come, show where the backlog builds.
      note: (line) => console.log(`  | ${line}`),
      onTarget: (target) => {
        pid = target.pid ?? 0;
      },
      onProgress: (p) => {
        if (Number.isNaN(rssAt10s) && p.elapsedSec >= 10 && pid > 0)
          void memoryMiB(pid).then((m) => {
            rssAt10s = m.rss;
          });
      },
      beforeStop: async () => {
        if (pid > 0) memory = await memoryMiB(pid);
      },
    },
  );
  const { run, verification } = report;
  const freshness = run.freshness;
  const caughtUpAt = verification?.caughtUpAt;
  return {
    cores: cpus().length,
    offeredEventsPerSec: options.rate,
    durationSec: options.durationSec,
    eventsPerRequest: run.generation.meanEventsPerRequest,
    requestBytes: run.generation.meanRequestBytes,
    // Over the run until its last answer: retries answered after the schedule ended count, and so does their time.
    acceptedEventsPerSec: run.tally.acknowledged / Math.max(run.elapsedSec, 1e-9),
    statusCounts: run.tally.statuses,
    latencyP50Ms: run.latency.p50Ms,
    latencyP99Ms: run.latency.p99Ms,
    latencyMaxMs: run.latency.maxMs,
    freshnessP50Ms: freshness?.p50Ms ?? Number.NaN,
    freshnessP95Ms: freshness?.p95Ms ?? Number.NaN,
    probes: freshness?.probes ?? 0,
    probesAccepted: freshness?.acknowledged ?? 0,
    probesNeverSeen: freshness?.neverSeen ?? 0,
    drainSec: caughtUpAt
      ? Math.max(0, (Date.parse(caughtUpAt) - Date.parse(run.endedAt)) / 1_000)
      : Number.NaN,
    refusedEvents: run.tally.refused,
    lostEvents: verification?.lostAtMost ?? Number.NaN,
    duplicatedEvents: verification?.duplicated ?? Number.NaN,
    rssAt10sMiB: rssAt10s,
    rssAtEndMiB: memory.rss,
    peakRssMiB: memory.peak,
  };
}

export function printPipelineBench(r: PipelineBenchResult): boolean {
  const acceptedOk = r.acceptedEventsPerSec >= PIPELINE_TARGETS.acceptedEventsPerSec;
  const latencyOk = r.latencyP99Ms <= PIPELINE_TARGETS.ingestP99Ms;
  const freshOk = r.freshnessP95Ms <= PIPELINE_TARGETS.freshnessP95Ms;
  const deliveredOk = r.lostEvents === 0 && r.duplicatedEvents === 0;
  console.log(
    `\nend to end: npm start under ${formatInteger(r.offeredEventsPerSec)} events/s offered for ${r.durationSec} s, ${r.cores} cores`,
  );
  console.log(
    `  requests:          ${formatInteger(r.eventsPerRequest)} events on average, ${formatInteger(r.requestBytes)} bytes gzip NDJSON each`,
  );
  console.log(
    `  accepted:          ${formatInteger(r.acceptedEventsPerSec)} events/s (${(r.acceptedEventsPerSec / r.offeredEventsPerSec).toFixed(2)} of offered)  target >= ${formatInteger(PIPELINE_TARGETS.acceptedEventsPerSec)}: ${verdict(acceptedOk)}`,
  );
  console.log(`  statuses:          ${JSON.stringify(r.statusCounts)}`);
  console.log(
    `  ingest latency:    p50 ${r.latencyP50Ms.toFixed(1)} ms, p99 ${r.latencyP99Ms.toFixed(1)} ms, max ${r.latencyMaxMs.toFixed(1)} ms  target p99 <= ${PIPELINE_TARGETS.ingestP99Ms} ms: ${verdict(latencyOk)}`,
  );
  console.log(
    `  freshness:         p50 ${(r.freshnessP50Ms / 1_000).toFixed(2)} s, p95 ${(r.freshnessP95Ms / 1_000).toFixed(2)} s over ${r.probesAccepted} of ${r.probes} probes accepted (${r.probesNeverSeen} never seen)  target p95 <= ${PIPELINE_TARGETS.freshnessP95Ms / 1_000} s: ${verdict(freshOk)}`,
  );
  console.log(`  backlog drained:   ${r.drainSec.toFixed(1)} s after the last answer`);
  console.log(
    `  verified:          ${formatInteger(r.lostEvents)} lost, ${formatInteger(r.duplicatedEvents)} duplicated in ClickHouse (${formatInteger(r.refusedEvents)} events refused after every retry, not stored)  target 0 and 0: ${verdict(deliveredOk)}`,
  );
  console.log(
    `  memory (RSS):      ${formatInteger(r.rssAt10sMiB)} MiB at 10 s, ${formatInteger(r.rssAtEndMiB)} MiB at the end, peak ${formatInteger(r.peakRssMiB)} MiB`,
  );
  return acceptedOk && latencyOk && freshOk && deliveredOk;
}

/** The end-to-end figures, each target judged as `printPipelineBench` judges it. */
export function pipelineFigures(r: PipelineBenchResult): BenchFigure[] {
  const benchmark = 'end-to-end';
  return [
    againstLimit(
      {
        benchmark,
        figure: `acknowledged events/s, ${r.durationSec} s offered, to the last answer`,
        value: r.acceptedEventsPerSec,
        unit: 'events/s',
        target: {
          text: `>= ${formatInteger(PIPELINE_TARGETS.acceptedEventsPerSec)} events/s`,
          met: r.acceptedEventsPerSec >= PIPELINE_TARGETS.acceptedEventsPerSec,
        },
      },
      { name: 'offered', value: r.offeredEventsPerSec, unit: 'events/s' },
    ),
    { benchmark, figure: 'ingest latency p50', value: r.latencyP50Ms, unit: 'ms' },
    {
      benchmark,
      figure: 'ingest latency p99',
      value: r.latencyP99Ms,
      unit: 'ms',
      target: {
        text: `<= ${PIPELINE_TARGETS.ingestP99Ms} ms`,
        met: r.latencyP99Ms <= PIPELINE_TARGETS.ingestP99Ms,
      },
    },
    { benchmark, figure: 'freshness p50 (ack to queryable)', value: r.freshnessP50Ms / 1_000, unit: 's' },
    {
      benchmark,
      figure: 'freshness p95 (ack to queryable)',
      value: r.freshnessP95Ms / 1_000,
      unit: 's',
      target: {
        text: `<= ${PIPELINE_TARGETS.freshnessP95Ms / 1_000} s`,
        met: r.freshnessP95Ms <= PIPELINE_TARGETS.freshnessP95Ms,
      },
    },
    { benchmark, figure: 'backlog drained after the last answer', value: r.drainSec, unit: 's' },
    {
      benchmark,
      figure: 'acknowledged events lost in ClickHouse',
      value: r.lostEvents,
      unit: 'events',
      target: { text: '0', met: r.lostEvents === 0 },
    },
    {
      benchmark,
      figure: 'events stored more than once',
      value: r.duplicatedEvents,
      unit: 'events',
      target: { text: '0', met: r.duplicatedEvents === 0 },
    },
    { benchmark, figure: 'peak RSS of npm start, engine included', value: r.peakRssMiB, unit: 'MiB' },
  ];
}

if (isMainModule(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: String(PIPELINE_TARGETS.acceptedEventsPerSec) },
      duration: { type: 'string', default: '60' },
      batch: { type: 'string', default: '500' },
      check: { type: 'boolean', default: false },
      'json-out': { type: 'string' },
    },
  });
  const positive = (name: string, text: string): number => {
    const value = readNumber(text);
    if (value !== undefined && value > 0) return value;
    console.error(`${name} must be a positive number`);
    process.exit(2);
  };
  const rate = positive('--rate', values.rate);
  const durationSec = positive('--duration', values.duration);
  const batch = positive('--batch', values.batch);
  benchPipeline({ rate, durationSec, batch })
    .then(async (r) => {
      const ok = printPipelineBench(r);
      const out = values['json-out'];
      if (out !== undefined) await writeFiguresFile(out, pipelineFigures(r));
      process.exit(values.check && !ok ? 1 : 0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
