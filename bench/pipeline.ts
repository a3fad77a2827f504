import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { eventGenerator } from '../load-tests/event-generator.js';
import { startEvalForgeProcess } from '../local/spawn.js';
import { againstLimit, type BenchFigure } from './figures.js';
import { writeFiguresFile } from './figures-file.js';

/**
 * End to end on this machine: `npm start` (its real entry point, in a process of its own) under
 * an open-model load of realistic events in gzip batches, as the SDK sends them. Measures what
 * the API accepted per second, request latency, freshness (a probe event's acknowledgement →
 * the query API returning it) and the pipeline process's memory.
 *
 * The load is a constant arrival rate: a request is sent on schedule whether or not earlier ones
 * were answered, so a slow server cannot slow the offered load and hide its own latency.
 * Bodies come from a pool compressed before the run (compressing 55 MB/s live would take the
 * cores the pipeline needs); each request carries its own Idempotency-Key, so each is new to the
 * pipeline and loaded in full.
 */

export const PIPELINE_TARGETS = {
  acceptedEventsPerSec: 10_000,
  ingestP99Ms: 100,
  freshnessP95Ms: 5_000,
} as const;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

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
  /** Accepted probes the query API never returned within 10 minutes. */
  readonly probesNeverSeen: number;
  /** After the load stopped, how long until the last probe was queryable. */
  readonly drainSec: number;
  readonly rssAt10sMiB: number;
  readonly rssAtEndMiB: number;
  readonly peakRssMiB: number;
}

export async function benchPipeline(options: {
  rate: number;
  durationSec: number;
  batch: number;
}): Promise<PipelineBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'evalforge-bench-pipeline-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const url = `http://127.0.0.1:${port}`;
  // The pool: 24 distinct bodies of `batch` events, timestamps spread over the last minutes.
  const generator = eventGenerator({ seed: 5, now: () => Date.now() - Math.floor(Math.random() * 120_000) });
  const pool = Array.from({ length: 24 }, () =>
    gzipSync(`${Array.from({ length: options.batch }, () => JSON.stringify(generator.next())).join('\n')}\n`),
  );
  const requestBytes = pool.reduce((n, b) => n + b.length, 0) / pool.length;

  const pipeline = await startEvalForgeProcess({
    dataDir: join(dir, 'data'),
    port,
    env: { EVALFORGE_STATUS_INTERVAL: '5' },
  });
  const { child } = pipeline;
  // Its status lines, as they come, so a run shows where the backlog builds.
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.includes('ingest ')) console.log(`  | ${line}`);
  });
  const pid = child.pid ?? 0;
  const key = (await readFile(join(dir, 'data', 'dev-api-key'), 'utf8')).trim();
  const auth = { authorization: `Bearer ${key}` };

  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  let accepted = 0;
  const inflight = new Set<Promise<void>>();
  const send = (body: Buffer) => {
    const started = performance.now();
    const request = fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: {
        ...auth,
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
        'idempotency-key': randomBytes(12).toString('hex'),
      },
      body,
    })
      .then(async (response) => {
        const result = (await response.json()) as { accepted?: number };
        latencies.push(performance.now() - started);
        statusCounts[response.status] = (statusCounts[response.status] ?? 0) + 1;
        accepted += result.accepted ?? 0;
      })
      .catch((error: unknown) => {
        statusCounts[`error: ${(error as Error).message}`] =
          (statusCounts[`error: ${(error as Error).message}`] ?? 0) + 1;
      });
    const tracked = request.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
  };

  // Probes: one small request a second whose event the query API is then asked for.
  const freshness: number[] = [];
  const pendingProbes = new Map<string, number>();
  let probes = 0;
  let probesAccepted = 0;
  const probe = async () => {
    probes++;
    const traceId = randomBytes(16).toString('hex');
    const event = { ...generator.next(), trace_id: traceId, timestamp: new Date().toISOString() };
    const response = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [event] }),
    });
    if (response.status === 200) {
      probesAccepted++;
      pendingProbes.set(traceId, performance.now());
    } else await response.arrayBuffer();
  };
  let polling = true;
  const poller = (async () => {
    while (polling || pendingProbes.size > 0) {
      for (const [traceId, ackedAt] of [...pendingProbes]) {
        const response = await fetch(`${url}/v1/traces/${traceId}`, { headers: auth }).catch(() => undefined);
        if (response?.status === 200) {
          freshness.push(performance.now() - ackedAt);
          pendingProbes.delete(traceId);
        } else await response?.arrayBuffer();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  // The open-model schedule: request i is due at start + i / requestsPerSec.
  const requestsPerSec = options.rate / options.batch;
  const start = performance.now();
  let sent = 0;
  let rssAt10s = Number.NaN;
  let nextProbe = 0;
  while (performance.now() - start < options.durationSec * 1_000) {
    const elapsed = (performance.now() - start) / 1_000;
    while (sent < Math.floor(elapsed * requestsPerSec)) send(pool[sent++ % pool.length] ?? Buffer.alloc(0));
    if (elapsed >= nextProbe) {
      nextProbe++;
      void probe();
    }
    if (Number.isNaN(rssAt10s) && elapsed >= 10) rssAt10s = (await memoryMiB(pid)).rss;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const loadSec = (performance.now() - start) / 1_000;
  await Promise.all(inflight);
  const acceptedPerSec = accepted / loadSec;
  const stoppedAt = performance.now();
  polling = false;
  const deadline = setTimeout(() => pendingProbes.clear(), 600_000);
  await poller;
  clearTimeout(deadline);
  const drainSec = (performance.now() - stoppedAt) / 1_000;
  const memory = await memoryMiB(pid);

  child.kill('SIGKILL');
  await pipeline.exited();
  await rm(dir, { recursive: true, force: true });

  return {
    cores: cpus().length,
    offeredEventsPerSec: options.rate,
    durationSec: options.durationSec,
    eventsPerRequest: options.batch,
    requestBytes,
    acceptedEventsPerSec: acceptedPerSec,
    statusCounts,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    latencyMaxMs: Math.max(...latencies),
    freshnessP50Ms: percentile(freshness, 50),
    freshnessP95Ms: percentile(freshness, 95),
    probes,
    probesAccepted,
    probesNeverSeen: probesAccepted - freshness.length,
    drainSec,
    rssAt10sMiB: rssAt10s,
    rssAtEndMiB: memory.rss,
    peakRssMiB: memory.peak,
  };
}

export function printPipelineBench(r: PipelineBenchResult): boolean {
  const acceptedOk = r.acceptedEventsPerSec >= PIPELINE_TARGETS.acceptedEventsPerSec;
  const latencyOk = r.latencyP99Ms <= PIPELINE_TARGETS.ingestP99Ms;
  const freshOk = r.freshnessP95Ms <= PIPELINE_TARGETS.freshnessP95Ms;
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(
    `\nend to end: npm start under ${fmt(r.offeredEventsPerSec)} events/s offered for ${r.durationSec} s, ${r.cores} cores`,
  );
  console.log(
    `  requests:          ${r.eventsPerRequest} events, ${fmt(r.requestBytes)} bytes gzip NDJSON each`,
  );
  console.log(
    `  accepted:          ${fmt(r.acceptedEventsPerSec)} events/s (${(r.acceptedEventsPerSec / r.offeredEventsPerSec).toFixed(2)} of offered)  target >= ${fmt(PIPELINE_TARGETS.acceptedEventsPerSec)}: ${verdict(acceptedOk)}`,
  );
  console.log(`  statuses:          ${JSON.stringify(r.statusCounts)}`);
  console.log(
    `  ingest latency:    p50 ${r.latencyP50Ms.toFixed(1)} ms, p99 ${r.latencyP99Ms.toFixed(1)} ms, max ${r.latencyMaxMs.toFixed(1)} ms  target p99 <= ${PIPELINE_TARGETS.ingestP99Ms} ms: ${verdict(latencyOk)}`,
  );
  console.log(
    `  freshness:         p50 ${(r.freshnessP50Ms / 1_000).toFixed(2)} s, p95 ${(r.freshnessP95Ms / 1_000).toFixed(2)} s over ${r.probesAccepted} of ${r.probes} probes accepted (${r.probesNeverSeen} never seen)  target p95 <= ${PIPELINE_TARGETS.freshnessP95Ms / 1_000} s: ${verdict(freshOk)}`,
  );
  console.log(`  backlog drained:   ${r.drainSec.toFixed(1)} s after the load stopped`);
  console.log(
    `  memory (RSS):      ${fmt(r.rssAt10sMiB)} MiB at 10 s, ${fmt(r.rssAtEndMiB)} MiB at the end, peak ${fmt(r.peakRssMiB)} MiB`,
  );
  return acceptedOk && latencyOk && freshOk;
}

/** The end-to-end figures, each target judged as `printPipelineBench` judges it. */
export function pipelineFigures(r: PipelineBenchResult): BenchFigure[] {
  const benchmark = 'end-to-end';
  return [
    againstLimit(
      {
        benchmark,
        figure: `accepted events/s over ${r.durationSec} s, ${r.eventsPerRequest} per request`,
        value: r.acceptedEventsPerSec,
        unit: 'events/s',
        target: {
          text: `>= ${fmt(PIPELINE_TARGETS.acceptedEventsPerSec)} events/s`,
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
    { benchmark, figure: 'backlog drained after the load stopped', value: r.drainSec, unit: 's' },
    { benchmark, figure: 'peak RSS of npm start, engine included', value: r.peakRssMiB, unit: 'MiB' },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: String(PIPELINE_TARGETS.acceptedEventsPerSec) },
      duration: { type: 'string', default: '60' },
      batch: { type: 'string', default: '500' },
      check: { type: 'boolean', default: false },
      'json-out': { type: 'string' },
    },
  });
  const rate = Number(values.rate);
  const durationSec = Number(values.duration);
  const batch = Number(values.batch);
  for (const [name, value] of [
    ['--rate', rate],
    ['--duration', durationSec],
    ['--batch', batch],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) {
      console.error(`${name} must be a positive number`);
      process.exit(2);
    }
  }
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
