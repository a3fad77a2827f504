/**
 * The cost model: pure functions from an inventory of billable resources (read from a synthesized
 * template) and a load to monthly dollars, line by line, each line with the formula that made it.
 *
 * Fixed costs come from the resources' sizes; usage costs from the load through `lib/capacity.ts`'s
 * own arithmetic (request and record bytes, records/s, Lambda CPU shares and durations, Firehose
 * objects), so the bill and the sizing cannot disagree. A month is 730 h; GB is 10^9 bytes (EBS
 * volumes are provisioned in GiB and billed per GiB-month at the GB-month price). Free tiers are
 * ignored.
 */
import {
  type CapacityAssumptions,
  firehoseFigures,
  loaderFigures,
  requestFigures,
  streamFigures,
  validatorFigures,
} from '../capacity.js';
import { TIERS, type TierSpec } from '../tiers.js';
import { ALB_LCU, BILLING_UNITS, type Price, type RegionPrices } from './prices.js';

/**
 * One billable resource of a synthesized template, as `inventory` (`lib/pricing/inventory.ts`) lists
 * it. A resource whose size has `free` (a reason) gets no line. The cost model reads these `size` keys:
 * - `AWS::EC2::Instance`: `instanceType`; its gp3 block devices as `volumeGiB`, `volumeIops`,
 *   `volumeThroughputMiBps` (also on `AWS::EC2::Volume`).
 * - `AWS::ElasticLoadBalancingV2::LoadBalancer`: `weight` (its Route 53 weight; default equal).
 * - `AWS::Lambda::Function`: `memoryMiB`, `architecture` (`arm64` | `x86_64`), `tracing`
 *   (`Active` | `PassThrough`), `workload` (`validator` | `loader` | `query`; none: no usage).
 * - `AWS::Lambda::EventSourceMapping`: `batchSize`, `maxBatchingWindowSec`, `parallelizationFactor`.
 * - `AWS::Kinesis::Stream`: `shardCount`, `retentionHours`.
 * - `AWS::KinesisFirehose::DeliveryStream`: `bufferSizeMiB`, `bufferIntervalSec`.
 * - `AWS::S3::Bucket`: `workload: 'archive'` for the bucket Firehose writes to, with
 *   `infrequentAccessAfterDays`, `glacierAfterDays`, `expireAfterDays` (each optional).
 * - `AWS::EC2::VPCEndpoint`: `endpointType` (`Interface` | `Gateway`), `azs`.
 * - `AWS::Logs::LogGroup`: `retentionDays`; it takes the logs of the function in its component.
 * - `AWS::EC2::FlowLog`: `destinationType` (`cloud-watch-logs` only), `trafficType` (`REJECT` only),
 *   `retentionDays` (its log group's; none: kept forever).
 * - `AWS::DynamoDB::Table`: `pointInTimeRecovery` (1: on).
 * - `AWS::Budgets::Budget`: `actions` (1: action-enabled); free otherwise.
 * - `AWS::CertificateManager::Certificate`: public ones are free; a private one has no price yet.
 */
export interface BillableResource {
  readonly type: string;
  readonly logicalId: string;
  /** The top-level construct the resource belongs to: the lines are grouped by it. */
  readonly component: string;
  readonly size: Readonly<Record<string, number | string>>;
}

/** The load the bill is computed at. */
export interface Load {
  readonly eventsPerSec: number;
  /** Average uncompressed event. */
  readonly eventBytes: number;
  /** Uncompressed ÷ gzip bytes of a request body. */
  readonly gzipRatio: number;
  /** Events per request, and so per stream record. */
  readonly eventsPerRequest: number;
}

export interface CostLine {
  readonly component: string;
  readonly item: string;
  readonly quantity: number;
  /** The unit of `quantity`, which is the unit of the price. */
  readonly unit: string;
  readonly unitPriceUsd: number;
  /** `quantity × unitPriceUsd`. */
  readonly monthlyUsd: number;
  /** How `quantity` was reached, in words and numbers. */
  readonly formula: string;
}

/** Assumptions the cost model adds to capacity's: each is an input the report can vary. */
export const COST_ASSUMPTIONS = {
  /** The SDK keeps connections alive: one new TLS connection per this many requests. */
  albRequestsPerConnection: 100,
  /** A kept-alive connection stays open this long (the ALB's default idle timeout). */
  albConnectionLifetimeSec: 60,
  /** Listener rules evaluated per request; under the 10 free ones, rule evaluations cost nothing. */
  albRulesPerRequest: 2,
  /** Log bytes per invocation: START/END/REPORT (~400 B) and one JSON line (~600 B). */
  logBytesPerInvocation: 1_000,
  /**
   * NAT gateway bytes a month: the validator runs outside the VPC, and the loader's records come
   * in its event (the event source mapping reads Kinesis outside the VPC), so none by default.
   */
  natProcessedGbPerMonth: 0,
  /** Interface endpoint bytes a month: secrets read once per execution environment, so ~none. */
  interfaceEndpointProcessedGbPerMonth: 0,
  /** The API key table holds a few thousand small items. */
  dynamoDbStorageGb: 1,
  /**
   * VPC flow log records of REJECT traffic a month: scanners probing the NAT gateways' and load
   * balancers' public addresses, ~2.5 records/s of ~150 B (default format) ≈ 1 GB. Vended into
   * CloudWatch Logs at the first band's ingestion price, then stored for the log group's retention.
   */
  flowLogRejectGbPerMonth: 1,
  /**
   * Query API requests: reads by dashboards and people, not part of the ingest load, so none by
   * default; the query function's lines are still listed (at $0) for the report to vary.
   */
  queryRequestsPerSec: 0,
  /** Billed duration of one query request (a ClickHouse round trip and the JSON answer). */
  queryDurationSec: 0.5,
  /** X-Ray's default sampling rule: the first request each second, then 5% of the rest. */
  xRayReservoirPerSec: 1,
  xRayFixedRate: 0.05,
} as const;

export type CostAssumptions = { readonly [K in keyof typeof COST_ASSUMPTIONS]: number };

export interface MonthlyCostInput {
  readonly inventory: readonly BillableResource[];
  readonly load: Load;
  readonly prices: RegionPrices;
  /** 1-based: storage that accumulates is billed as it stands in this month. */
  readonly month: number;
  readonly assumptions?: Partial<CostAssumptions>;
}

const HOURS_PER_MONTH = 730;
const SEC_PER_MONTH = HOURS_PER_MONTH * 3_600;
const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
const GB = 1e9;
const MiB = 1_048_576;

const n = (value: number, digits = 2): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits });

/** Raised when the inventory or load cannot be priced. */
export class CostModelError extends Error {
  override name = 'CostModelError';
}

function checkLoad(load: Load): void {
  const positive: (keyof Load)[] = ['eventBytes', 'gzipRatio', 'eventsPerRequest'];
  if (!Number.isFinite(load.eventsPerSec) || load.eventsPerSec < 0) {
    throw new CostModelError(`load.eventsPerSec must be a finite number ≥ 0, got ${load.eventsPerSec}`);
  }
  for (const key of positive) {
    if (!Number.isFinite(load[key]) || load[key] <= 0) {
      throw new CostModelError(`load.${key} must be a finite number > 0, got ${load[key]}`);
    }
  }
}

function sizeNumber(r: BillableResource, key: string): number;
function sizeNumber(r: BillableResource, key: string, fallback: number): number;
function sizeNumber(r: BillableResource, key: string, fallback?: number): number {
  const value = r.size[key];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CostModelError(
      `${r.type} ${r.logicalId}: size.${key} must be a number ≥ 0, got ${String(value)}`,
    );
  }
  return value;
}

function sizeString(r: BillableResource, key: string): string | undefined {
  const value = r.size[key];
  return value === undefined ? undefined : String(value);
}

/**
 * Average over days `t0`–`t1` since the first write of `clamp(t − from, 0, to − from)`: the days
 * of writes whose age is in `[from, to)`, i.e. held in the class that keeps objects of those ages,
 * when writes arrive at a steady rate.
 */
export function averageDaysHeld(t0: number, t1: number, from: number, to: number): number {
  const width = Math.max(0, to - from);
  const integral = (t: number): number => {
    if (t <= from) return 0;
    if (t <= from + width) return (t - from) ** 2 / 2;
    return width ** 2 / 2 + width * (t - from - width);
  };
  return (integral(t1) - integral(t0)) / (t1 - t0);
}

/** Days in `[t0, t1]` at which objects written from day 0 reach `age`: the transitions then. */
function daysReaching(t0: number, t1: number, age: number): number {
  return Math.max(0, t1 - Math.max(t0, age));
}

/** Splits a quantity over price bands (`bands` are the sizes of all but the last). */
function banded(quantity: number, bands: readonly number[]): number[] {
  const parts: number[] = [];
  let left = quantity;
  for (const band of bands) {
    parts.push(Math.min(left, band));
    left = Math.max(0, left - band);
  }
  parts.push(left);
  return parts;
}

/**
 * A tier carrying the inventory's sizes where capacity's functions read them, so their arithmetic
 * is used as is; the parts they do not read stay tier 1's.
 */
function capacityTier(inventory: readonly BillableResource[], lambdaMemory: Map<string, number>): TierSpec {
  const base: TierSpec = TIERS[1];
  const stream = inventory.find((r) => r.type === 'AWS::Kinesis::Stream');
  const esm = inventory.find((r) => r.type === 'AWS::Lambda::EventSourceMapping');
  const firehose = inventory.find((r) => r.type === 'AWS::KinesisFirehose::DeliveryStream');
  return {
    ...base,
    ingest: {
      ...base.ingest,
      validator: {
        ...base.ingest.validator,
        memoryMiB: lambdaMemory.get('validator') ?? base.ingest.validator.memoryMiB,
      },
    },
    stream: stream
      ? {
          mode: 'provisioned',
          shardCount: sizeNumber(stream, 'shardCount'),
          retentionHours: sizeNumber(stream, 'retentionHours', 24),
        }
      : base.stream,
    loader: {
      ...base.loader,
      memoryMiB: lambdaMemory.get('loader') ?? base.loader.memoryMiB,
      ...(esm && {
        batchSize: sizeNumber(esm, 'batchSize'),
        maxBatchingWindowSec: sizeNumber(esm, 'maxBatchingWindowSec', 0),
        parallelizationFactor: sizeNumber(esm, 'parallelizationFactor', 1),
      }),
    },
    archive: {
      ...base.archive,
      ...(firehose && {
        bufferSizeMiB: sizeNumber(firehose, 'bufferSizeMiB'),
        bufferIntervalSec: sizeNumber(firehose, 'bufferIntervalSec'),
      }),
    },
  };
}

/** Resource types the model prices; a template's billable resource outside it has no cost rule. */
export const COSTED_RESOURCE_TYPES = [
  'AWS::EC2::Instance',
  'AWS::EC2::Volume',
  'AWS::EC2::NatGateway',
  'AWS::EC2::EIP',
  'AWS::EC2::VPCEndpoint',
  'AWS::EC2::FlowLog',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::Route53::HostedZone',
  'AWS::Route53::HealthCheck',
  'AWS::Route53::RecordSet',
  'AWS::Lambda::Function',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Kinesis::Stream',
  'AWS::KinesisFirehose::DeliveryStream',
  'AWS::S3::Bucket',
  'AWS::Logs::LogGroup',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::Dashboard',
  'AWS::SecretsManager::Secret',
  'AWS::KMS::Key',
  'AWS::DynamoDB::Table',
  'AWS::CertificateManager::Certificate',
  'AWS::Budgets::Budget',
  'AWS::CloudFormation::CustomResource',
] as const;

const COSTED = new Set<string>(COSTED_RESOURCE_TYPES);

/** The bill for one month at a load, one line per priced item, grouped by component. */
export function monthlyCost(input: MonthlyCostInput): CostLine[] {
  const { inventory, load, prices, month } = input;
  checkLoad(load);
  if (!Number.isInteger(month) || month < 1) {
    throw new CostModelError(`month must be an integer ≥ 1, got ${month}`);
  }
  const a: CostAssumptions = { ...COST_ASSUMPTIONS, ...input.assumptions };
  const capacity: Partial<CapacityAssumptions> = {
    eventBytes: load.eventBytes,
    gzipRatio: load.gzipRatio,
    eventsPerRequest: load.eventsPerRequest,
  };
  for (const r of inventory) {
    if (!COSTED.has(r.type) && !r.type.startsWith('Custom::')) {
      throw new CostModelError(`${r.type} ${r.logicalId}: no cost rule for this resource type`);
    }
  }
  const lambdaMemory = new Map<string, number>();
  for (const r of inventory) {
    const workload = r.type === 'AWS::Lambda::Function' ? sizeString(r, 'workload') : undefined;
    if (workload !== undefined) lambdaMemory.set(workload, sizeNumber(r, 'memoryMiB'));
  }
  const tier = capacityTier(inventory, lambdaMemory);
  const options = { eventsPerSec: load.eventsPerSec, assumptions: capacity };
  const request = requestFigures(capacity);
  const requestsPerSec = load.eventsPerSec / load.eventsPerRequest;
  const albs = inventory.filter((r) => r.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer');
  const totalWeight = albs.reduce((sum, r) => sum + sizeNumber(r, 'weight', 1), 0);
  /** Invocations a month by component, for the log groups beside the functions. */
  const invocationsByComponent = new Map<string, number>();
  const t0 = (month - 1) * DAYS_PER_MONTH;
  const t1 = month * DAYS_PER_MONTH;

  const lines: CostLine[] = [];
  const add = (
    r: BillableResource,
    item: string,
    quantity: number,
    price: Price | number,
    unit: string,
    formula: string,
  ) => {
    const unitPriceUsd = typeof price === 'number' ? price : price.usd;
    lines.push({
      component: r.component,
      item,
      quantity,
      unit,
      unitPriceUsd,
      monthlyUsd: quantity * unitPriceUsd,
      formula,
    });
  };
  const hourly = (r: BillableResource, item: string, count: number, price: Price) =>
    add(r, item, count * HOURS_PER_MONTH, price, price.unit, `${n(count)} × ${HOURS_PER_MONTH} h`);

  const ebs = (r: BillableResource) => {
    if (r.size.volumeGiB === undefined) return;
    const volumeType = sizeString(r, 'volumeType') ?? 'gp3';
    if (volumeType !== 'gp3') {
      throw new CostModelError(
        `${r.type} ${r.logicalId}: no price for EBS ${volumeType} in ${prices.region} (gp3 only)`,
      );
    }
    const gib = sizeNumber(r, 'volumeGiB');
    const iops = sizeNumber(r, 'volumeIops', BILLING_UNITS.gp3IncludedIops);
    const mbps = sizeNumber(r, 'volumeThroughputMiBps', BILLING_UNITS.gp3IncludedThroughputMbps);
    const p = prices.ebsGp3;
    add(r, 'EBS gp3 storage', gib, p.storageGbMonth, p.storageGbMonth.unit, `${n(gib)} GiB provisioned`);
    const extraIops = Math.max(0, iops - BILLING_UNITS.gp3IncludedIops);
    if (extraIops > 0)
      add(r, 'EBS gp3 IOPS', extraIops, p.iopsMonth, p.iopsMonth.unit, `${n(iops)} − 3,000 included`);
    const extraMbps = Math.max(0, mbps - BILLING_UNITS.gp3IncludedThroughputMbps);
    if (extraMbps > 0) {
      add(
        r,
        'EBS gp3 throughput',
        extraMbps,
        p.throughputMbpsMonth,
        p.throughputMbpsMonth.unit,
        `${n(mbps)} MiB/s − 125 included`,
      );
    }
  };

  const lambda = (r: BillableResource) => {
    const workload = sizeString(r, 'workload');
    if (workload === undefined) return;
    const memoryMiB = sizeNumber(r, 'memoryMiB');
    const arch = sizeString(r, 'architecture') ?? 'arm64';
    let perSec: number;
    let durationSec: number;
    let why: string;
    if (workload === 'validator') {
      const v = validatorFigures(tier, options);
      perSec = v.requestsPerSec;
      durationSec = v.durationSec;
      why = `${n(load.eventsPerSec)} events/s ÷ ${n(load.eventsPerRequest)} per request`;
    } else if (workload === 'loader') {
      const l = loaderFigures(tier, options);
      perSec = l.insertsPerSec;
      durationSec = l.durationSec;
      why = `${n(l.recordsPerSecPerShard, 4)} records/s per shard ÷ ${n(l.recordsPerInvocation)} per invocation × ${tier.stream.mode === 'provisioned' ? tier.stream.shardCount : 0} shards`;
    } else if (workload === 'query') {
      perSec = a.queryRequestsPerSec;
      durationSec = a.queryDurationSec;
      why = `assumed ${n(perSec, 4)} query requests/s`;
    } else {
      throw new CostModelError(`${r.type} ${r.logicalId}: unknown workload ${workload}`);
    }
    const invocations = perSec * SEC_PER_MONTH;
    invocationsByComponent.set(r.component, (invocationsByComponent.get(r.component) ?? 0) + invocations);
    const billedSec =
      Math.ceil(durationSec / BILLING_UNITS.lambdaDurationGranularitySec - 1e-9) *
      BILLING_UNITS.lambdaDurationGranularitySec;
    const gbSec = invocations * billedSec * (memoryMiB / 1_024);
    const p = prices.lambda;
    add(
      r,
      'Lambda requests',
      invocations / 1e6,
      p.requestsPerMillion,
      p.requestsPerMillion.unit,
      `${why} = ${n(perSec, 4)}/s × ${n(SEC_PER_MONTH)} s`,
    );
    const gbPrice = arch === 'x86_64' ? p.gbSecondX86 : p.gbSecondArm64;
    add(
      r,
      `Lambda duration (${arch})`,
      gbSec,
      gbPrice,
      gbPrice.unit,
      `${n(invocations / 1e6)}M invocations × ${n(billedSec * 1_000)} ms (${workload === 'query' ? 'assumed' : "capacity's"} ${n(durationSec * 1_000, 3)} ms, rounded up) × ${n(memoryMiB)} MiB ÷ 1,024`,
    );
    if (sizeString(r, 'tracing') === 'Active') {
      const traced =
        Math.min(perSec, a.xRayReservoirPerSec) +
        a.xRayFixedRate * Math.max(0, perSec - a.xRayReservoirPerSec);
      const x = prices.xRay.tracesRecordedPerMillion;
      add(
        r,
        'X-Ray traces recorded',
        (traced * SEC_PER_MONTH) / 1e6,
        x,
        x.unit,
        `(min(${n(perSec, 4)}/s, ${a.xRayReservoirPerSec}) + ${a.xRayFixedRate} × the rest) × ${n(SEC_PER_MONTH)} s`,
      );
    }
  };

  const alb = (r: BillableResource) => {
    hourly(r, 'ALB hours', 1, prices.alb.hour);
    const share = sizeNumber(r, 'weight', 1) / totalWeight;
    const rps = requestsPerSec * share;
    const processedGbPerHour = (rps * request.bodyBytes * 3_600) / GB;
    const newConnPerSec = rps / a.albRequestsPerConnection;
    const activePerMin = newConnPerSec * a.albConnectionLifetimeSec;
    const ruleEvalPerSec = rps * Math.max(0, a.albRulesPerRequest - ALB_LCU.freeRulesPerRequest);
    const dims = {
      processed: processedGbPerHour / ALB_LCU.processedGbPerHourLambdaTargets,
      newConnections: newConnPerSec / ALB_LCU.newConnectionsPerSec,
      activeConnections: activePerMin / ALB_LCU.activeConnectionsPerMin,
      ruleEvaluations: ruleEvalPerSec / ALB_LCU.ruleEvaluationsPerSec,
    };
    const lcu = Math.max(...Object.values(dims));
    add(
      r,
      'ALB LCU-hours (Lambda target)',
      lcu * HOURS_PER_MONTH,
      prices.alb.lcuHour,
      prices.alb.lcuHour.unit,
      `max(processed ${n(rps, 4)} req/s × ${n(request.bodyBytes, 0)} B × 3,600 = ${n(processedGbPerHour, 3)} GB/h ÷ 0.4 = ${n(dims.processed, 3)}; new conn ${n(dims.newConnections, 3)}; active ${n(dims.activeConnections, 3)}; rules ${n(dims.ruleEvaluations, 3)}) LCU × ${HOURS_PER_MONTH} h (keep-alive: ${a.albRequestsPerConnection} requests per connection, ${a.albConnectionLifetimeSec} s each)`,
    );
  };

  const kinesis = (r: BillableResource) => {
    const shards = sizeNumber(r, 'shardCount');
    const retentionHours = sizeNumber(r, 'retentionHours', 24);
    const p = prices.kinesis;
    hourly(r, 'Kinesis shard-hours', shards, p.shardHour);
    if (retentionHours > BILLING_UNITS.kinesisIncludedRetentionHours) {
      if (retentionHours > BILLING_UNITS.kinesisExtendedRetentionMaxHours) {
        throw new CostModelError(
          `${r.type} ${r.logicalId}: retention beyond 7 days (long-term retention) is not priced`,
        );
      }
      hourly(r, 'Kinesis extended retention', shards, p.extendedRetentionShardHour);
    }
    const s = streamFigures(tier, options);
    const units = Math.ceil(s.recordBytes / BILLING_UNITS.kinesisPutPayloadUnitBytes);
    add(
      r,
      'Kinesis PUT payload units',
      (s.recordsPerSec * units * SEC_PER_MONTH) / 1e6,
      p.putPayloadUnitsPerMillion,
      p.putPayloadUnitsPerMillion.unit,
      `${n(s.recordsPerSec, 4)} records/s × ceil(${n(s.recordBytes, 0)} B ÷ 25,000) = ${units} units × ${n(SEC_PER_MONTH)} s`,
    );
  };

  const firehose = (r: BillableResource) => {
    const f = firehoseFigures(tier, options);
    const billedBytes =
      Math.ceil(f.recordBytes / BILLING_UNITS.firehoseRecordRoundingBytes) *
      BILLING_UNITS.firehoseRecordRoundingBytes;
    const gb = (f.recordsPerSec * billedBytes * SEC_PER_MONTH) / GB;
    const p = prices.firehose;
    const bandPrices = [
      p.ingestGbFirst500Tb,
      p.ingestGbNext1500Tb,
      p.ingestGbNext3000Tb,
      p.ingestGbNext3000Tb,
    ];
    banded(gb, BILLING_UNITS.firehoseBandsGb).forEach((part, i) => {
      const bandPrice = bandPrices[i];
      if (part > 0 && bandPrice) {
        add(
          r,
          `Firehose ingestion${i === 0 ? '' : ` (band ${i + 1})`}`,
          part,
          bandPrice,
          bandPrice.unit,
          `${n(f.recordsPerSec, 4)} records/s × ${n(billedBytes)} B (${n(f.recordBytes, 0)} B rounded up to 5,120 B) × ${n(SEC_PER_MONTH)} s = ${n(gb)} GB`,
        );
      }
    });
  };

  const archive = (r: BillableResource) => {
    if (sizeString(r, 'workload') !== 'archive') return;
    const f = firehoseFigures(tier, options);
    const s3 = prices.s3;
    const objectsPerMonth = f.objectsPerHour * HOURS_PER_MONTH;
    add(
      r,
      'S3 PUTs (Firehose objects)',
      objectsPerMonth / 1_000,
      s3.putPerThousand,
      s3.putPerThousand.unit,
      `${n(f.objectsPerHour)} objects/h (every ${n(f.secondsPerObject)} s) × ${HOURS_PER_MONTH} h`,
    );
    const expire = sizeNumber(r, 'expireAfterDays', Number.POSITIVE_INFINITY);
    const ia = Math.min(sizeNumber(r, 'infrequentAccessAfterDays', Number.POSITIVE_INFINITY), expire);
    const glacier = Math.min(sizeNumber(r, 'glacierAfterDays', Number.POSITIVE_INFINITY), expire);
    const gbPerDay = (f.mibPerSec * MiB * 86_400) / GB;
    const objectsPerDay = f.objectsPerHour * 24;
    const window = `days ${n(t0)}–${n(t1)}`;
    const standardGbMonth = gbPerDay * averageDaysHeld(t0, t1, 0, Math.min(ia, glacier));
    const standardPrices = [
      s3.standardGbMonthFirst50Tb,
      s3.standardGbMonthNext450Tb,
      s3.standardGbMonthOver500Tb,
    ];
    banded(standardGbMonth, BILLING_UNITS.s3StandardBandsGb).forEach((part, i) => {
      const bandPrice = standardPrices[i];
      if (part > 0 && bandPrice) {
        add(
          r,
          `S3 Standard storage${i === 0 ? '' : ` (band ${i + 1})`}`,
          part,
          bandPrice,
          bandPrice.unit,
          `${n(gbPerDay)} GB/day × average days of writes younger than ${n(Math.min(ia, glacier))} d over ${window}`,
        );
      }
    });
    // The colder classes, each held from its transition day until the next one's.
    for (const held of [
      {
        name: 'Standard-IA',
        from: ia,
        to: glacier,
        storage: s3.standardIaGbMonth,
        transition: s3.transitionToIaPerThousand,
      },
      {
        name: 'Glacier Flexible Retrieval',
        from: glacier,
        to: expire,
        storage: s3.glacierFlexibleGbMonth,
        transition: s3.transitionToGlacierFlexiblePerThousand,
      },
    ]) {
      if (held.from >= held.to) continue;
      const gbMonth = gbPerDay * averageDaysHeld(t0, t1, held.from, held.to);
      if (gbMonth > 0)
        add(
          r,
          `S3 ${held.name} storage`,
          gbMonth,
          held.storage,
          held.storage.unit,
          `${n(gbPerDay)} GB/day × average days of writes aged ${held.from}–${n(held.to)} d over ${window}`,
        );
      const moved = objectsPerDay * daysReaching(t0, t1, held.from);
      if (moved > 0)
        add(
          r,
          `S3 transitions to ${held.name}`,
          moved / 1_000,
          held.transition,
          held.transition.unit,
          `${n(objectsPerDay)} objects/day × days of ${window} after day ${held.from}`,
        );
    }
  };

  const logs = (r: BillableResource) => {
    const invocations = invocationsByComponent.get(r.component) ?? 0;
    if (invocations === 0) return;
    const gbPerMonth = (invocations * a.logBytesPerInvocation) / GB;
    const cw = prices.cloudWatch;
    add(
      r,
      'CloudWatch Logs ingestion',
      gbPerMonth,
      cw.logsIngestionGb,
      cw.logsIngestionGb.unit,
      `${n(invocations / 1e6)}M invocations × ${a.logBytesPerInvocation} B`,
    );
    const retentionDays = sizeNumber(r, 'retentionDays', Number.POSITIVE_INFINITY);
    const stored = (gbPerMonth / DAYS_PER_MONTH) * averageDaysHeld(t0, t1, 0, retentionDays);
    add(
      r,
      'CloudWatch Logs storage',
      stored,
      cw.logsStorageGbMonth,
      cw.logsStorageGbMonth.unit,
      `${n(gbPerMonth / DAYS_PER_MONTH, 4)} GB/day × average days held (retention ${n(retentionDays)} d), uncompressed`,
    );
  };

  const flowLog = (r: BillableResource) => {
    const destination = sizeString(r, 'destinationType') ?? 'cloud-watch-logs';
    const traffic = sizeString(r, 'trafficType') ?? 'ALL';
    if (destination !== 'cloud-watch-logs' || traffic !== 'REJECT') {
      throw new CostModelError(
        `${r.type} ${r.logicalId}: only REJECT traffic into CloudWatch Logs is modelled, got ${traffic} into ${destination}`,
      );
    }
    const gbPerMonth = a.flowLogRejectGbPerMonth;
    const cw = prices.cloudWatch;
    add(
      r,
      'VPC flow logs (vended to CloudWatch Logs)',
      gbPerMonth,
      cw.logsIngestionGb,
      cw.logsIngestionGb.unit,
      `assumed ${n(gbPerMonth)} GB/month of REJECT records, at the first 10 TB band of vended-log delivery`,
    );
    const retentionDays = sizeNumber(r, 'retentionDays', Number.POSITIVE_INFINITY);
    add(
      r,
      'VPC flow log storage',
      (gbPerMonth / DAYS_PER_MONTH) * averageDaysHeld(t0, t1, 0, retentionDays),
      cw.logsStorageGbMonth,
      cw.logsStorageGbMonth.unit,
      `${n(gbPerMonth / DAYS_PER_MONTH, 4)} GB/day × average days held (retention ${n(retentionDays)} d)`,
    );
  };

  let actionBudgets = 0;
  const budget = (r: BillableResource) => {
    // Budgets without actions are free (their inventory item is marked so); of the action-enabled
    // ones, the first two a month are free.
    actionBudgets += 1;
    if (actionBudgets <= BILLING_UNITS.freeActionEnabledBudgets) return;
    const p = prices.budgets.actionBudgetDay;
    add(
      r,
      'AWS Budgets action-enabled budget',
      DAYS_PER_MONTH,
      p,
      p.unit,
      `${n(DAYS_PER_MONTH)} days (budget ${actionBudgets}; the first ${BILLING_UNITS.freeActionEnabledBudgets} are free)`,
    );
  };

  const costOf = (r: BillableResource): void => {
    switch (r.type) {
      case 'AWS::EC2::Instance': {
        const type = sizeString(r, 'instanceType') ?? '';
        const price = prices.ec2[type];
        if (price === undefined) {
          throw new CostModelError(
            `${r.logicalId}: no price for EC2 instance type ${type} in ${prices.region}`,
          );
        }
        hourly(r, `EC2 ${type}`, 1, price);
        ebs(r);
        return;
      }
      case 'AWS::EC2::Volume':
        ebs(r);
        return;
      case 'AWS::EC2::NatGateway':
        hourly(r, 'NAT gateway hours', 1, prices.natGateway.hour);
        add(
          r,
          'NAT gateway processing',
          a.natProcessedGbPerMonth,
          prices.natGateway.processedGb,
          prices.natGateway.processedGb.unit,
          'assumed: the validator runs outside the VPC and the loader receives its records in its event',
        );
        return;
      case 'AWS::EC2::EIP':
        hourly(r, 'public IPv4 address', 1, prices.publicIpv4.hour);
        return;
      case 'AWS::EC2::VPCEndpoint': {
        if (sizeString(r, 'endpointType') === 'Gateway') return;
        const azs = sizeNumber(r, 'azs');
        hourly(r, 'interface endpoint AZ-hours', azs, prices.interfaceEndpoint.azHour);
        add(
          r,
          'interface endpoint processing',
          a.interfaceEndpointProcessedGbPerMonth,
          prices.interfaceEndpoint.processedGb,
          prices.interfaceEndpoint.processedGb.unit,
          'assumed: AWS calls from the VPC are few (secrets read once per execution environment)',
        );
        return;
      }
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
        alb(r);
        return;
      case 'AWS::Route53::HostedZone':
        add(
          r,
          'Route 53 hosted zone',
          1,
          prices.route53.hostedZoneMonth,
          prices.route53.hostedZoneMonth.unit,
          '1 zone (alias queries to the ALBs are free)',
        );
        return;
      case 'AWS::Route53::HealthCheck':
        add(
          r,
          'Route 53 health check',
          1,
          prices.route53.healthCheckMonth,
          prices.route53.healthCheckMonth.unit,
          '1 health check of an AWS endpoint',
        );
        return;
      case 'AWS::Lambda::Function':
        lambda(r);
        return;
      case 'AWS::Kinesis::Stream':
        kinesis(r);
        return;
      case 'AWS::KinesisFirehose::DeliveryStream':
        firehose(r);
        return;
      case 'AWS::S3::Bucket':
        archive(r);
        return;
      case 'AWS::CloudWatch::Alarm':
        add(
          r,
          'CloudWatch alarm',
          1,
          prices.cloudWatch.alarmMonth,
          prices.cloudWatch.alarmMonth.unit,
          '1 standard-resolution alarm',
        );
        return;
      case 'AWS::CloudWatch::Dashboard':
        add(
          r,
          'CloudWatch dashboard',
          1,
          prices.cloudWatch.dashboardMonth,
          prices.cloudWatch.dashboardMonth.unit,
          '1 dashboard',
        );
        return;
      case 'AWS::SecretsManager::Secret':
        add(
          r,
          'Secrets Manager secret',
          1,
          prices.secretsManager.secretMonth,
          prices.secretsManager.secretMonth.unit,
          '1 secret (reads cached per execution environment)',
        );
        return;
      case 'AWS::KMS::Key':
        add(
          r,
          'KMS customer-managed key',
          1,
          prices.kms.customerManagedKeyMonth,
          prices.kms.customerManagedKeyMonth.unit,
          '1 key',
        );
        return;
      case 'AWS::DynamoDB::Table':
        add(
          r,
          'DynamoDB storage',
          a.dynamoDbStorageGb,
          prices.dynamoDb.storageGbMonth,
          prices.dynamoDb.storageGbMonth.unit,
          `assumed ${a.dynamoDbStorageGb} GB of API keys`,
        );
        if (r.size.pointInTimeRecovery === 1) {
          add(
            r,
            'DynamoDB point-in-time recovery',
            a.dynamoDbStorageGb,
            prices.dynamoDb.pointInTimeRecoveryGbMonth,
            prices.dynamoDb.pointInTimeRecoveryGbMonth.unit,
            `billed on the table's storage: assumed ${a.dynamoDbStorageGb} GB`,
          );
        }
        return;
      case 'AWS::EC2::FlowLog':
        flowLog(r);
        return;
      case 'AWS::CertificateManager::Certificate':
        // A public certificate is marked free and never gets here.
        throw new CostModelError(
          `${r.type} ${r.logicalId}: no price for a private CA certificate in ${prices.region}`,
        );
      case 'AWS::Budgets::Budget':
        budget(r);
        return;
      default:
        // Log groups come last (they take their functions' invocations); record sets are alias
        // records (free), mappings are read for the loader's batches, custom resources run at deploy.
        return;
    }
  };

  for (const r of inventory) if (r.size.free === undefined) costOf(r);
  for (const r of inventory) if (r.type === 'AWS::Logs::LogGroup') logs(r);

  const order = [...new Set(inventory.map((r) => r.component))];
  return lines
    .map((line, i) => ({ line, i }))
    .sort((x, y) => order.indexOf(x.line.component) - order.indexOf(y.line.component) || x.i - y.i)
    .map(({ line }) => line);
}

/** The sum of the lines. */
export function totalMonthlyUsd(lines: readonly CostLine[]): number {
  return lines.reduce((sum, line) => sum + line.monthlyUsd, 0);
}

/** `total ÷ (eventsPerSec × 2,628,000 s ÷ 1e6)`: dollars per million events. */
export function costPerMillionEvents(lines: readonly CostLine[], load: Load): number {
  checkLoad(load);
  if (load.eventsPerSec === 0) {
    throw new CostModelError('cost per million events needs a load above 0 events/s');
  }
  return totalMonthlyUsd(lines) / ((load.eventsPerSec * SEC_PER_MONTH) / 1e6);
}

export interface MonthTotal {
  readonly month: number;
  readonly totalUsd: number;
}

/** Month-by-month totals as storage accumulates. */
export function projection(
  inventory: readonly BillableResource[],
  load: Load,
  prices: RegionPrices,
  months = 12,
  assumptions: Partial<CostAssumptions> = {},
): MonthTotal[] {
  if (!Number.isInteger(months) || months < 1) {
    throw new CostModelError(`months must be an integer ≥ 1, got ${months}`);
  }
  return Array.from({ length: months }, (_, i) => ({
    month: i + 1,
    totalUsd: totalMonthlyUsd(monthlyCost({ inventory, load, prices, month: i + 1, assumptions })),
  }));
}
