import { loaderFigures, validatorFigures } from '../../capacity.js';
import { type BillableResource, sizeNumber, sizeString } from '../billable-resource.js';
import { type CostLine, costLine } from '../cost-line.js';
import { CostModelError } from '../cost-model-error.js';
import { customMetricsOf } from '../custom-metrics.js';
import { num } from '../format.js';
import { BILLING_UNITS, SECONDS_PER_MONTH } from '../prices.js';
import { perResource, type RuleContext } from './rule.js';

/** The context as it stands before the invocations are counted: all that counting them reads. */
type WorkloadContext = Omit<RuleContext, 'invocationsByComponent'>;

interface Workload {
  readonly name: string;
  readonly perSec: number;
  /** Wall time of one invocation, before Lambda rounds it up. */
  readonly durationSec: number;
  /** How `perSec` was reached. */
  readonly why: string;
}

/** The invocations a function's workload makes at the load, from capacity's figures. */
function workload(
  r: BillableResource,
  { load, assumptions: a, tier, capacity }: WorkloadContext,
): Workload | undefined {
  const name = sizeString(r, 'workload');
  if (name === undefined) {
    if (r.size.scheduledPerSec === undefined) return undefined;
    const perSec = sizeNumber(r, 'scheduledPerSec');
    return {
      name: 'schedule',
      perSec,
      durationSec: a.scheduledDurationSec,
      why: `an EventBridge schedule, ${num(perSec * 3_600, 4)} runs an hour`,
    };
  }
  if (name === 'validator') {
    const v = validatorFigures(tier, capacity);
    return {
      name,
      perSec: v.requestsPerSec,
      durationSec: v.durationSec,
      why: `${num(load.eventsPerSec)} events/s ÷ ${num(load.eventsPerRequest)} per request`,
    };
  }
  if (name === 'loader') {
    const l = loaderFigures(tier, capacity);
    const shards = tier.stream.mode === 'provisioned' ? tier.stream.shardCount : 0;
    return {
      name,
      perSec: l.insertsPerSec,
      durationSec: l.durationSec,
      why: `${num(l.recordsPerSecPerShard, 4)} records/s per shard ÷ ${num(l.recordsPerInvocation)} per invocation × ${shards} shards`,
    };
  }
  if (name === 'query') {
    return {
      name,
      perSec: a.queryRequestsPerSec,
      durationSec: a.queryDurationSec,
      why: `assumed ${num(a.queryRequestsPerSec, 4)} query requests/s`,
    };
  }
  if (name === 'forwarder') {
    // Each of the transit stream's records is put into its home region's stream: at a trickle of
    // ~0.84 MiB records, the event source's batches hold about one.
    const records = validatorFigures(tier, capacity).requestsPerSec * a.crossRegionShare;
    return {
      name,
      perSec: records,
      durationSec: a.forwarderDurationSec,
      why: `${num(load.eventsPerSec)} events/s ÷ ${num(load.eventsPerRequest)} per request × ${num(a.crossRegionShare, 4)} accepted outside their home region, ~1 record a batch`,
    };
  }
  throw new CostModelError(`${r.type} ${r.logicalId}: unknown workload ${name}`);
}

/** Invocations a month of the load-driven `functions`, by component: what their log groups take in. */
export function invocationsByComponent(
  functions: readonly BillableResource[],
  context: WorkloadContext,
): Map<string, number> {
  const invocations = new Map<string, number>();
  for (const r of functions) {
    const w = workload(r, context);
    if (w === undefined) continue;
    invocations.set(r.component, (invocations.get(r.component) ?? 0) + w.perSec * SECONDS_PER_MONTH);
  }
  return invocations;
}

/**
 * `AWS::Lambda::Function`: requests, GB-seconds and X-Ray traces of the functions the load drives.
 * Size keys: `workload` (`validator` | `loader` | `query`), else `scheduledPerSec` (an EventBridge
 * schedule's runs, each `scheduledDurationSec` long); with neither the function runs at deploy only
 * and has no usage line. `memoryMiB`, `architecture` (`arm64` | `x86_64`), `tracing` (`Active` |
 * `PassThrough`). A function that publishes custom metrics (`function`, see
 * `lib/pricing/custom-metrics.ts`) also gets their month.
 */
export const lambdaRule = perResource((r, context) => {
  const metrics = customMetricLines(r, context);
  const w = workload(r, context);
  if (w === undefined) return metrics;
  const { prices, assumptions: a } = context;
  const memoryMiB = sizeNumber(r, 'memoryMiB');
  const arch = sizeString(r, 'architecture') ?? 'arm64';
  const invocations = w.perSec * SECONDS_PER_MONTH;
  const granularity = BILLING_UNITS.lambdaDurationGranularitySec;
  const billedSec = Math.ceil(w.durationSec / granularity - 1e-9) * granularity;
  const gbSec = invocations * billedSec * (memoryMiB / 1_024);
  const p = prices.lambda;
  const gbPrice = arch === 'x86_64' ? p.gbSecondX86 : p.gbSecondArm64;
  const lines = [
    costLine(
      r,
      'Lambda requests',
      invocations / 1e6,
      p.requestsPerMillion,
      `${w.why} = ${num(w.perSec, 4)}/s × ${num(SECONDS_PER_MONTH)} s`,
    ),
    costLine(
      r,
      `Lambda duration (${arch})`,
      gbSec,
      gbPrice,
      `${num(invocations / 1e6)}M invocations × ${num(billedSec * 1_000)} ms (${w.name === 'query' || w.name === 'schedule' ? 'assumed' : "capacity's"} ${num(w.durationSec * 1_000, 3)} ms, rounded up) × ${num(memoryMiB)} MiB ÷ 1,024`,
    ),
  ];
  if (sizeString(r, 'tracing') === 'Active') {
    const traced =
      Math.min(w.perSec, a.xRayReservoirPerSec) +
      a.xRayFixedRate * Math.max(0, w.perSec - a.xRayReservoirPerSec);
    lines.push(
      costLine(
        r,
        'X-Ray traces recorded',
        (traced * SECONDS_PER_MONTH) / 1e6,
        prices.xRay.tracesRecordedPerMillion,
        `(min(${num(w.perSec, 4)}/s, ${a.xRayReservoirPerSec}) + ${a.xRayFixedRate} × the rest) × ${num(SECONDS_PER_MONTH)} s`,
      ),
    );
  }
  return [...lines, ...metrics];
});

/** The custom metrics a function publishes (`lib/pricing/custom-metrics.ts`), a flat month each. */
function customMetricLines(r: BillableResource, { prices, tier, assumptions }: RuleContext): CostLine[] {
  const metrics = customMetricsOf(sizeString(r, 'function') ?? '', tier, assumptions.queryRequestsPerSec);
  if (metrics === undefined) return [];
  return [
    costLine(
      r,
      'CloudWatch custom metrics (EMF)',
      metrics.count,
      prices.cloudWatch.customMetricMonth,
      `${metrics.count} metrics: ${metrics.why}`,
    ),
  ];
}
