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
  /**
   * Billed duration of one run of a scheduled function (a health check: a query to each ClickHouse
   * node and a few metrics).
   */
  scheduledDurationSec: 1,
  /**
   * A multi-region tier: the share of events accepted outside their project's home region in
   * normal operation (a client nearer another region, or the latency records' choice of one),
   * forwarded through the transit stream to the home region. 2%: clients mostly run where their
   * project lives; a region's outage raises it for its duration.
   */
  crossRegionShare: 0.02,
  /** Billed duration of one forwarder invocation: a PutRecords call to another region. */
  forwarderDurationSec: 0.3,
  /** X-Ray's default sampling rule: the first request each second, then 5% of the rest. */
  xRayReservoirPerSec: 1,
  xRayFixedRate: 0.05,
} as const;

/** `COST_ASSUMPTIONS`' keys, any value: what a caller may override. */
export type CostAssumptions = { readonly [K in keyof typeof COST_ASSUMPTIONS]: number };
