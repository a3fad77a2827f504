import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { readNumber } from '../cli/flags.js';
import { isMainModule } from '../cli/main-module.js';
import type { ListedCall } from '../functions/query/queries.js';
import { type AckedEvent, RegionClient } from '../local/region-client.js';
import { LocalRegions } from '../local/regions.js';
import { againstLimit, type BenchFigure, formatInteger, percentile, verdict } from './figures.js';
import { jsonOutPath, writeFiguresFile } from './figures-file.js';

/**
 * Cross-region delivery on this machine, through the local simulation across regions
 * (`npm run regions`: two `npm start` processes as us-east-1 and eu-west-1, the region router in
 * front). With both healthy, a client in us-east-1 sends events of the project homed in
 * eu-west-1 at a steady rate: us-east-1 accepts them into its transit stream, its forwarder puts
 * them into eu-west-1's stream, eu-west-1 loads them. The lag of an event is from its
 * acknowledgement to the home region's query API returning it, measured on one probe per request
 * by polling that API; the same is measured, at the same time, for a project homed in the region
 * that accepts its events (the local freshness, the limit the cross-region lag is read against).
 * Then eu-west-1 is killed for `outageSec` while its own clients keep sending (now through
 * us-east-1), started again on the same data directory, and the time until eu-west-1 holds every
 * event acknowledged meanwhile is the time to recover.
 */

export const REGIONS_TARGETS = {
  /** The design document's cross-region delivery lag. */
  crossRegionLagMs: 5_000,
} as const;

export const REGIONS_DEFAULTS = { durationSec: 30, eventsPerSec: 200, outageSec: 10 } as const;

const US = 'us-east-1';
const EU = 'eu-west-1';
const EVENTS_PER_REQUEST = 10;

export interface LagSummary {
  readonly probes: number;
  /** Probes the home region's query API never returned before the deadline. */
  readonly neverSeen: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export interface RegionsBenchResult {
  readonly cores: number;
  /** Offered: each client sends its next request when due, or when the one before is answered if later. */
  readonly eventsPerSec: number;
  /** Acknowledged per second by both clients of the steady phase, over its duration. */
  readonly acknowledgedEventsPerSec: number;
  readonly durationSec: number;
  /** eu-west-1's project, accepted by us-east-1: acknowledgement → queryable in eu-west-1. */
  readonly crossRegion: LagSummary;
  /** us-east-1's project, accepted by us-east-1: acknowledgement → queryable there. */
  readonly sameRegion: LagSummary;
  readonly outageSec: number;
  /** Events of the eu project acknowledged (by us-east-1) while eu-west-1 was down or starting. */
  readonly outageEvents: number;
  /** From `npm start` of eu-west-1 to it serving. */
  readonly restartSec: number;
  /** From eu-west-1 serving again to it holding every event acknowledged during the outage. */
  readonly recoverySec: number;
}

/** The lag of each probe, from its acknowledgement to when it was first seen; missing ones are counted apart. */
export function summariseLag(probes: readonly AckedEvent[], seenAt: ReadonlyMap<string, number>): LagSummary {
  const lags: number[] = [];
  let neverSeen = 0;
  for (const p of probes) {
    const seen = seenAt.get(p.traceId);
    if (seen === undefined) neverSeen++;
    else lags.push(Math.max(0, seen - p.ackedAt));
  }
  return {
    probes: probes.length,
    neverSeen,
    p50Ms: percentile(lags, 0.5),
    p95Ms: percentile(lags, 0.95),
    maxMs: lags.length === 0 ? Number.NaN : Math.max(...lags),
  };
}

/**
 * Polls a region's `/v1/calls` for a run's probes (`metadata.probe = 1`) every `intervalMs` and
 * notes when each trace id first appears. The window starts at the oldest probe not yet seen, so
 * one page of 1,000 always holds every probe that could be new.
 */
class ProbeWatcher {
  readonly seenAt = new Map<string, number>();
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly key: string,
    private readonly runId: string,
    private readonly client: RegionClient,
    private readonly intervalMs = 100,
  ) {
    this.loop = this.run();
  }

  private oldestUnseen(): number {
    for (const e of this.client.acked) if (e.probe && !this.seenAt.has(e.traceId)) return e.ackedAt;
    return Date.now();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const from = new Date(this.oldestUnseen() - 60_000).toISOString();
      const to = new Date(Date.now() + 60_000).toISOString();
      const query = `from=${from}&to=${to}&metadata.run=${this.runId}&metadata.probe=1&limit=1000`;
      try {
        const response = await fetch(`${this.url}/v1/calls?${query}`, {
          headers: { authorization: `Bearer ${this.key}` },
        });
        if (response.ok) {
          const now = Date.now();
          const { calls } = (await response.json()) as { calls: ListedCall[] };
          for (const call of calls) if (!this.seenAt.has(call.trace_id)) this.seenAt.set(call.trace_id, now);
        } else {
          await response.body?.cancel();
        }
      } catch {
        // The region is down or starting: the next poll asks again.
      }
      await sleep(this.intervalMs);
    }
  }

  /** Waits until every acknowledged probe was seen, or `timeoutMs`, then stops polling. */
  async finish(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.client.acked.some((e) => e.probe && !this.seenAt.has(e.traceId))) {
      await sleep(this.intervalMs);
    }
    this.stopped = true;
    await this.loop;
  }
}

async function countIn(url: string, key: string, runId: string): Promise<number> {
  const response = await fetch(`${url}/v1/calls/count?window=1h&metadata.run=${runId}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  if (!response.ok) throw new Error(`count answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { distinct_calls: number }).distinct_calls;
}

export async function benchRegions(
  options: { durationSec: number; eventsPerSec: number; outageSec: number },
  say: (line: string) => void = console.log,
): Promise<RegionsBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'evalforge-bench-regions-'));
  const stamp = Date.now();
  let sim: LocalRegions | undefined;
  try {
    say(`  starting ${US} and ${EU} (two npm start processes) and the region router…`);
    sim = await LocalRegions.start({ dir, regions: [US, EU], env: { EVALFORGE_SHARDS: '2' } });
    const regions = sim;
    const requestsPerSec = options.eventsPerSec / 2 / EVENTS_PER_REQUEST;
    const client = (project: string, clientRegion: string, runId: string) =>
      new RegionClient({
        routerUrl: regions.router.url,
        apiKey: regions.project(project).key,
        clientRegion,
        eventsPerRequest: EVENTS_PER_REQUEST,
        requestsPerSec,
        runId,
      });

    say(
      `  steady: ${formatInteger(options.eventsPerSec / 2)} events/s of ${EU}'s project from clients in ${US}, as many of ${US}'s own, for ${options.durationSec} s`,
    );
    const crossRun = `regions-cross-${stamp}`;
    const sameRun = `regions-same-${stamp}`;
    const cross = client(EU, US, crossRun);
    const same = client(US, US, sameRun);
    const crossWatch = new ProbeWatcher(regions.url(EU), regions.project(EU).key, crossRun, cross);
    const sameWatch = new ProbeWatcher(regions.url(US), regions.project(US).key, sameRun, same);
    const steadyBegan = Date.now();
    await sleep(options.durationSec * 1_000);
    await Promise.all([cross.stop(), same.stop()]);
    const acknowledgedEventsPerSec =
      ((cross.acked.length + same.acked.length) * 1_000) / (Date.now() - steadyBegan);
    await Promise.all([crossWatch.finish(30_000), sameWatch.finish(30_000)]);
    const crossRegion = summariseLag(
      cross.acked.filter((e) => e.probe),
      crossWatch.seenAt,
    );
    const sameRegion = summariseLag(
      same.acked.filter((e) => e.probe),
      sameWatch.seenAt,
    );
    if (cross.acked.some((e) => e.acceptedIn !== US)) throw new Error(`an event was not accepted by ${US}`);

    say(`  outage: ${EU} killed for ${options.outageSec} s while its clients keep sending`);
    const outageRun = `regions-outage-${stamp}`;
    await regions.kill(EU);
    const outage = client(EU, EU, outageRun);
    await sleep(options.outageSec * 1_000);
    const restartBegan = Date.now();
    await regions.restart(EU);
    const backAt = Date.now();
    await outage.stop();
    const expected = outage.acked.length;
    let recoveredAt = Number.NaN;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const held = await countIn(regions.url(EU), regions.project(EU).key, outageRun).catch(() => 0);
      if (held >= expected) {
        recoveredAt = Date.now();
        break;
      }
      await sleep(100);
    }
    return {
      cores: cpus().length,
      eventsPerSec: options.eventsPerSec,
      acknowledgedEventsPerSec,
      durationSec: options.durationSec,
      crossRegion,
      sameRegion,
      outageSec: options.outageSec,
      outageEvents: expected,
      restartSec: (backAt - restartBegan) / 1_000,
      recoverySec: (recoveredAt - backAt) / 1_000,
    };
  } finally {
    await sim?.stop({ drain: false });
    await rm(dir, { recursive: true, force: true });
  }
}

const secs = (ms: number) => `${(ms / 1_000).toFixed(2)} s`;

export function printRegions(r: RegionsBenchResult, say: (line: string) => void = console.log): boolean {
  const target = REGIONS_TARGETS.crossRegionLagMs;
  const met = r.crossRegion.p95Ms <= target && r.crossRegion.neverSeen === 0;
  const lag = (s: LagSummary) =>
    `p50 ${secs(s.p50Ms)}, p95 ${secs(s.p95Ms)}, max ${secs(s.maxMs)} over ${s.probes} probes (${s.neverSeen} never seen)`;
  say(
    `\nregions: ${US} + ${EU} on ${r.cores} cores, ${formatInteger(r.eventsPerSec)} events/s offered for ${r.durationSec} s, ${formatInteger(r.acknowledgedEventsPerSec)} acknowledged`,
  );
  say(`  cross-region lag:  ${lag(r.crossRegion)}`);
  say(
    `                     p95 ÷ ${target / 1_000} s target = ${(r.crossRegion.p95Ms / target).toFixed(2)}, max ÷ target = ${(r.crossRegion.maxMs / target).toFixed(2)}  target p95 <= ${target / 1_000} s: ${verdict(met)}`,
  );
  say(
    `  same-region:       ${lag(r.sameRegion)}; cross ÷ same at p95 = ${(r.crossRegion.p95Ms / r.sameRegion.p95Ms).toFixed(2)}`,
  );
  say(
    `  outage:            ${EU} down ${r.outageSec} s, restarted in ${r.restartSec.toFixed(1)} s; ${formatInteger(r.outageEvents)} events acknowledged meanwhile by ${US}`,
  );
  say(`  time to recover:   ${r.recoverySec.toFixed(2)} s from ${EU} serving again to holding all of them`);
  return met;
}

export function regionsFigures(r: RegionsBenchResult): BenchFigure[] {
  const benchmark = 'regions';
  const target = REGIONS_TARGETS.crossRegionLagMs;
  return [
    againstLimit(
      {
        benchmark,
        figure: 'acknowledged events/s while the lag was measured',
        value: r.acknowledgedEventsPerSec,
        unit: 'events/s',
      },
      { name: 'offered', value: r.eventsPerSec, unit: 'events/s' },
    ),
    {
      benchmark,
      figure: 'cross-region lag p50 (ack to queryable at home)',
      value: r.crossRegion.p50Ms / 1_000,
      unit: 's',
    },
    againstLimit(
      {
        benchmark,
        figure: 'cross-region lag p95 (ack to queryable at home)',
        value: r.crossRegion.p95Ms / 1_000,
        unit: 's',
        target: {
          text: `<= ${target / 1_000} s`,
          met: r.crossRegion.p95Ms <= target && r.crossRegion.neverSeen === 0,
        },
      },
      { name: 'same-region freshness p95', value: r.sameRegion.p95Ms / 1_000, unit: 's' },
    ),
    { benchmark, figure: 'cross-region lag max', value: r.crossRegion.maxMs / 1_000, unit: 's' },
    {
      benchmark,
      figure: 'cross-region lag p95 ÷ 5 s target',
      value: r.crossRegion.p95Ms / target,
      unit: '×',
    },
    {
      benchmark,
      figure: `time to recover after a ${r.outageSec} s outage (restart to all loaded)`,
      value: r.recoverySec,
      unit: 's',
    },
    { benchmark, figure: 'region restart (npm start to serving)', value: r.restartSec, unit: 's' },
  ];
}

if (isMainModule(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: String(REGIONS_DEFAULTS.durationSec) },
      rate: { type: 'string', default: String(REGIONS_DEFAULTS.eventsPerSec) },
      outage: { type: 'string', default: String(REGIONS_DEFAULTS.outageSec) },
      'json-out': { type: 'string' },
    },
  });
  const number = (name: string, text: string) => {
    const value = readNumber(text);
    if (value === undefined || value <= 0) throw new Error(`--${name} must be a number above 0; got ${text}`);
    return value;
  };
  const out = jsonOutPath(process.argv.slice(2));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  benchRegions({
    durationSec: number('duration', values.duration),
    eventsPerSec: number('rate', values.rate),
    outageSec: number('outage', values.outage),
  })
    .then(async (r) => {
      printRegions(r);
      if (out !== undefined) await writeFiguresFile(out, regionsFigures(r));
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
