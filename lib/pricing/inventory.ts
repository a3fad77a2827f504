/**
 * What a synthesized template bills for: every resource of a billable type, with the size the
 * template gives it. The cost model prices this list, so the costs follow the infrastructure as
 * synthesized and cannot drift from it. Pure: a template in, a list out; no aws-cdk-lib import.
 */
import type { BillableResource } from './billable-resource.js';
import { CLICKHOUSE_COLD_WORKLOAD, COST_TAGS, TRANSIT_WORKLOAD } from './cost-tags.js';
import { publishesCustomMetrics } from './custom-metrics.js';
import { BILLING_UNITS } from './prices.js';

/** The components the stack tags its constructs with: the cost report's groups. */
export const COMPONENTS = [
  'network',
  'stream',
  'ingest',
  'archive',
  'analytics',
  'loader',
  'query',
  'operations',
] as const;
/** One of `COMPONENTS`. */
export type Component = (typeof COMPONENTS)[number];

/**
 * What a resource's price depends on, read from the template with CloudFormation's defaults filled
 * in; built here, then handed out read-only as a `BillableResource`'s `size`. `free` (a reason)
 * marks a resource of a billable type that costs nothing itself as configured.
 */
type Size = Record<string, number | string>;

/** A CloudFormation template, as much of it as the inventory reads. */
export interface TemplateJson {
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
}

/** Billable resource types, each with what AWS bills it for (usage-priced parts included). */
export const BILLABLE_TYPES = {
  'AWS::EC2::Instance': 'instance-hours by type; its root EBS volume by GiB-month; detailed monitoring',
  'AWS::EC2::Volume': 'GiB-month by volume type; gp3 IOPS above 3,000 and throughput above 125 MiB/s',
  'AWS::EC2::NatGateway': 'NAT gateway-hours and GB processed',
  'AWS::EC2::EIP': 'public IPv4 address-hours ($0.005/h since February 2024, attached or not)',
  'AWS::EC2::VPCEndpoint':
    'interface endpoints: endpoint-hours per AZ and GB processed (gateway endpoints are free)',
  'AWS::EC2::FlowLog': 'vended-log delivery per GB (usage)',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'load balancer-hours and LCU-hours',
  'AWS::Kinesis::Stream':
    'shard-hours (provisioned) or stream-hours (on-demand), PUT units or GB, extended retention',
  'AWS::KinesisFirehose::DeliveryStream': 'GB ingested (usage)',
  'AWS::Lambda::Function': 'requests and GB-seconds by architecture (usage)',
  'AWS::S3::Bucket': 'GB-month per storage class, requests, lifecycle transitions',
  'AWS::DynamoDB::Table': 'on-demand request units or provisioned capacity; storage; point-in-time recovery',
  'AWS::DynamoDB::GlobalTable':
    "as a table, in every replica's region, plus replicated writes: a multi-region tier's API keys",
  'AWS::Route53::HostedZone': 'hosted zone-month',
  'AWS::Route53::HealthCheck': 'health check-month by options',
  'AWS::Route53::RecordSet': 'queries per million (usage; alias queries to AWS resources are free)',
  'AWS::SecretsManager::Secret': 'secret-month and API calls',
  'AWS::Logs::LogGroup': 'GB ingested and GB-month stored up to its retention',
  'AWS::KMS::Key': 'key-month and requests',
  'AWS::CertificateManager::Certificate': 'public certificates are free; private-CA certificates are not',
  'AWS::CloudWatch::Alarm':
    'alarm metric-month (a metric-math alarm: each metric of its expression), high resolution costs more',
  'AWS::CloudWatch::CompositeAlarm': 'composite alarm-month',
  'AWS::CloudWatch::Dashboard':
    'dashboard-month (the free tier’s 3 per account are not counted: free tiers are ignored)',
  'AWS::WAFv2::WebACL': 'web ACL-month, rule-month (a managed rule group is one rule) and requests inspected',
  'AWS::Budgets::Budget':
    'free without actions; action-enabled budget-days beyond the first two budgets a month',
  'AWS::Lambda::EventSourceMapping':
    "billed through Lambda invocations and Kinesis reads; listed (free) for the loader's batch sizes",
} as const satisfies Record<string, string>;

/** Resource types that cost nothing themselves, each with the reason. */
export const FREE_TYPES = {
  'AWS::CDK::Metadata': 'CDK version reporting; not an AWS resource',
  'AWS::CloudFormation::CustomResource': 'billed through the Lambda function that serves it',
  'AWS::IAM::Role': 'IAM is free',
  'AWS::IAM::Policy': 'IAM is free',
  'AWS::IAM::ManagedPolicy': 'IAM is free',
  'AWS::IAM::InstanceProfile': 'IAM is free',
  'AWS::EC2::VPC': 'a VPC is free; what runs in it is billed',
  'AWS::EC2::Subnet': 'subnets are free',
  'AWS::EC2::RouteTable': 'route tables are free',
  'AWS::EC2::Route': 'routes are free',
  'AWS::EC2::SubnetRouteTableAssociation': 'route-table associations are free',
  'AWS::EC2::InternetGateway': 'an internet gateway is free; data transfer out is billed as usage',
  'AWS::EC2::VPCGatewayAttachment': 'attaching a gateway is free',
  'AWS::EC2::SecurityGroup': 'security groups are free',
  'AWS::EC2::SecurityGroupIngress': 'security-group rules are free',
  'AWS::EC2::SecurityGroupEgress': 'security-group rules are free',
  'AWS::EC2::NetworkInterface': 'private ENIs are free (a public IPv4 on one would be billed as an address)',
  'AWS::EC2::VolumeAttachment': 'the volume is billed, not its attachment',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'billed through its load balancer',
  'AWS::ElasticLoadBalancingV2::Listener': "billed through its load balancer's LCUs",
  'AWS::ElasticLoadBalancingV2::ListenerRule': "billed through its load balancer's LCUs (rule evaluations)",
  'AWS::Lambda::Permission': 'resource policies are free',
  'AWS::Logs::LogStream': 'billed through its log group',
  'AWS::S3::BucketPolicy': 'bucket policies are free',
  'AWS::Budgets::BudgetsAction': 'billed through its budget, as action-enabled budget-days',
  'AWS::WAFv2::WebACLAssociation': 'billed through its web ACL, as the requests it inspects',
  'AWS::SNS::Topic':
    'a topic is free; the alarm notifications it sends (a few a month) are within the free million publishes and 1,000 e-mails',
  'AWS::SNS::TopicPolicy': 'topic policies are free',
  'AWS::SNS::Subscription': 'subscriptions are free; deliveries are billed as the topic’s usage',
  'AWS::CloudFront::Distribution':
    "no monthly fee; requests and data transfer out are usage: the web dashboard's page (about 80 KB a visit) comes to cents a month, not modelled",
  'AWS::CloudFront::OriginAccessControl': 'origin access controls are free',
  'AWS::CloudFront::ResponseHeadersPolicy': 'response headers policies are free',
  'AWS::Lambda::LayerVersion':
    'Lambda bills no storage for layers and code (75 GB a region is a quota, not a price)',
  'AWS::StepFunctions::StateMachine':
    'no monthly fee: state transitions are billed when it runs, only for a replay of the archive, which lib/pricing/replay-cost.ts prices per TB',
  'AWS::CloudFormation::Stack':
    "a nested stack is free: CDK's provider of the key table's replicas, whose functions run only when the replicas change",
  'AWS::Events::Rule':
    'EventBridge rules are free (a schedule, or AWS service events on the default bus); the function a schedule runs is billed',
} as const satisfies Record<string, string>;

/** A type of `BILLABLE_TYPES`. */
export type BillableType = keyof typeof BILLABLE_TYPES;

/**
 * Whether a resource type is billed. `unknown` means nobody has decided yet: add it to one list.
 * Custom resources (`Custom::…`) are free: they are billed through the Lambda function behind them.
 */
export function classify(type: string): 'billable' | 'free' | 'unknown' {
  if (Object.hasOwn(BILLABLE_TYPES, type)) return 'billable';
  if (Object.hasOwn(FREE_TYPES, type) || type.startsWith('Custom::')) return 'free';
  return 'unknown';
}

/**
 * The component of each construct the stack composes, keyed by its construct ID with only letters
 * and digits, matched as a prefix (`Alb` takes `Alb1`…`Alb4`), longest first. For the resources
 * that take no tags (records, custom-resource handlers, event source mappings, …).
 */
export const COMPONENT_BY_CONSTRUCT: Readonly<Record<string, Component>> = {
  Network: 'network',
  // The VPC's restrict-default-security-group handler sits at the stack's root.
  CustomVpcRestrictDefaultSGCustomResourceProvider: 'network',
  EventStream: 'stream',
  // A multi-region tier's transit stream and the forwarder to the home regions' streams.
  TransitStream: 'stream',
  Forwarder: 'stream',
  ApiKeys: 'ingest',
  Validator: 'ingest',
  Alb: 'ingest',
  AlbAccessLogs: 'ingest',
  Certificate: 'ingest',
  Dns: 'ingest',
  // The web ACL in front of the load balancers (lib/constructs/ingest-firewall.ts).
  Firewall: 'ingest',
  IngestFirewall: 'ingest',
  RawArchive: 'archive',
  ClickHouse: 'analytics',
  Loader: 'loader',
  Query: 'query',
  // The archive read back into ClickHouse on demand (lib/constructs/replay-job.ts).
  Replay: 'archive',
  // Alarms, their topic and the dashboard (lib/constructs/operations.ts), and the function that
  // publishes ClickHouse's health (lib/constructs/clickhouse-health.ts).
  Operations: 'operations',
  ClickHouseHealth: 'operations',
  // The web dashboard (lib/constructs/dashboard-site.ts), the query API's browser face, and the
  // function CDK's BucketDeployment puts at the stack's root to copy its files.
  Dashboard: 'query',
  CustomCDKBucketDeployment: 'query',
  // A multi-region tier's cross-region references (the primary's key table and stream), which CDK
  // writes and reads through SSM parameters with a handler at the stack's root.
  CustomCrossRegionExportWriterCustomResourceProvider: 'ingest',
  CustomCrossRegionExportReaderCustomResourceProvider: 'ingest',
  ExportsWriter: 'ingest',
  ExportsReader: 'ingest',
  // The provider of the key table's replicas, a nested stack at the stack's root.
  awscdkawsdynamodbReplicaProvider: 'ingest',
};

/** Which function a Lambda function is, by the same prefix matching as components. */
const FUNCTION_BY_CONSTRUCT: Readonly<Record<string, string>> = {
  Validator: 'validator',
  Loader: 'loader',
  Query: 'query',
  Forwarder: 'forwarder',
  // Runs only for a replay: priced per TB by lib/pricing/replay-cost.ts, not in the monthly bill.
  Replay: 'replay',
  ClickHouseMigrationFunction: 'migrate',
  ClickHouseMigrationProvider: 'custom-resource-framework',
  ClickHouseCertificateFunction: 'certificates',
  ClickHouseCertificateProvider: 'custom-resource-framework',
  CustomVpcRestrictDefaultSGCustomResourceProvider: 'custom-resource',
  CustomCrossRegionExportWriterCustomResourceProvider: 'cross-region-references',
  CustomCrossRegionExportReaderCustomResourceProvider: 'cross-region-references',
  // BucketDeployment's copy of the dashboard's files, at deploy time only.
  CustomCDKBucketDeployment: 'dashboard-deployment',
  // The scheduled ClickHouse health function (functions/health).
  ClickHouseHealth: 'health',
  Health: 'health',
};

/** The functions whose invocations follow the load: the cost model's `workload`. */
const USAGE_WORKLOADS = new Set(['validator', 'loader', 'query', 'forwarder']);

/**
 * The resource's construct path below the stack, letters and digits only: from
 * `Metadata['aws:cdk:path']` when synthesized with path metadata (as the CLI does), else its logical
 * ID, which CDK derives from that path.
 */
function constructKey(logicalId: string, metadata: Record<string, unknown> | undefined): string {
  const path = metadata?.['aws:cdk:path'];
  const below = typeof path === 'string' ? path.split('/').slice(1).join('') : logicalId;
  return below.replace(/[^A-Za-z0-9]/g, '');
}

function byPrefix<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  const match = Object.keys(table)
    .filter((prefix) => key.startsWith(prefix))
    .sort((a, b) => b.length - a.length)[0];
  return match === undefined ? undefined : table[match];
}

/** The component a construct path (`EvalForge/ClickHouse/…`) maps to, if the table knows it. */
export function componentFromPath(path: string): Component | undefined {
  return byPrefix(COMPONENT_BY_CONSTRUCT, constructKey('', { 'aws:cdk:path': path }));
}

/** The value of a tag, from `Tags` as a list or a map, or from a hosted zone's `HostedZoneTags`. */
function tagValue(properties: Record<string, unknown>, key: string): string | undefined {
  for (const tags of [properties.Tags, properties.HostedZoneTags]) {
    if (Array.isArray(tags)) {
      const value = (tags as { Key?: unknown; Value?: unknown }[]).find((t) => t.Key === key)?.Value;
      if (typeof value === 'string') return value;
    } else if (tags !== null && typeof tags === 'object') {
      const value = (tags as Record<string, unknown>)[key];
      if (typeof value === 'string') return value;
    }
  }
  return undefined;
}

/** A number or numeric text of the template, or `fallback` (CloudFormation's default). */
const numberOr = (value: unknown, fallback: number): number => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback;
};

const obj = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** gp3's baseline, included in its GiB price: IOPS and throughput above these are billed. */
const GP3_BASELINE = {
  iops: BILLING_UNITS.gp3IncludedIops,
  throughputMiBps: BILLING_UNITS.gp3IncludedThroughputMbps,
} as const;

function volumeSize(type: unknown, sizeGiB: unknown, iops: unknown, throughput: unknown): Size {
  const volumeType = typeof type === 'string' ? type : 'gp2';
  const size: Size = { volumeType, volumeGiB: numberOr(sizeGiB, 0) };
  if (volumeType === 'gp3') {
    size.volumeIops = numberOr(iops, GP3_BASELINE.iops);
    size.volumeThroughputMiBps = numberOr(throughput, GP3_BASELINE.throughputMiBps);
  } else if (volumeType === 'io1' || volumeType === 'io2') {
    size.volumeIops = numberOr(iops, 0);
  }
  return size;
}

/** S3 storage classes by the name the sizing table gives the days before moving to them. */
const TRANSITION_KEYS: Readonly<Record<string, string>> = {
  STANDARD_IA: 'infrequentAccessAfterDays',
  ONEZONE_IA: 'oneZoneInfrequentAccessAfterDays',
  INTELLIGENT_TIERING: 'intelligentTieringAfterDays',
  GLACIER_IR: 'glacierInstantRetrievalAfterDays',
  GLACIER: 'glacierAfterDays',
  DEEP_ARCHIVE: 'deepArchiveAfterDays',
};

/** The earliest day, over the enabled rules, of each transition and of expiry. */
function lifecycleSize(configuration: unknown): Size {
  const size: Record<string, number> = {};
  const earliest = (key: string, days: unknown) => {
    if (typeof days !== 'number') return;
    size[key] = Math.min(size[key] ?? days, days);
  };
  for (const rule of list(obj(configuration).Rules).map(obj)) {
    if (rule.Status !== 'Enabled') continue;
    earliest('expireAfterDays', rule.ExpirationInDays);
    for (const transition of list(rule.Transitions).map(obj)) {
      const storageClass = String(transition.StorageClass);
      earliest(TRANSITION_KEYS[storageClass] ?? `${storageClass}AfterDays`, transition.TransitionInDays);
    }
  }
  return size;
}

function serviceName(value: unknown): string {
  if (typeof value === 'string') return value.split('.').at(-1) ?? value;
  // `com.amazonaws.${AWS::Region}.s3` as a Fn::Join: the service is the last literal part.
  const last = list(list(obj(value)['Fn::Join'])[1]).at(-1);
  return typeof last === 'string' ? last.replace(/^\./, '') : 'unknown';
}

/**
 * What one resource's size takes from others: its Route 53 weight, Firehose writing to it, its log
 * group's retention, a budget action naming it.
 */
interface Related {
  /** Route 53 weight by the logical ID of the load balancer a weighted alias record points at. */
  readonly weights: ReadonlyMap<string, number>;
  /** Logical IDs of the buckets a Firehose delivery stream writes to. */
  readonly firehoseBuckets: ReadonlySet<string>;
  /** Retention in days by the logical ID of a log group that sets one (a flow log's destination). */
  readonly logRetentionDays: ReadonlyMap<string, number>;
  /** Logical IDs of the budgets a budget action names: action-enabled budgets. */
  readonly budgetsWithActions: ReadonlySet<string>;
  /**
   * The ClickHouse tables' retention in days (and the TTL merge timeout), from the migrations
   * custom resource's `Retention`: what the nodes' S3 disk holds follows it. Empty without one.
   */
  readonly clickHouseRetention: Readonly<Record<string, number>>;
  /** Availability zones the VPC's subnets span: the share of traffic between a node and its clients that crosses one. */
  readonly availabilityZones: number;
  /** Logical IDs of the load balancers each web ACL is associated with, by the web ACL's. */
  readonly webAclLoadBalancers: ReadonlyMap<string, readonly string[]>;
  /** Logical IDs of every load balancer: the web ACLs' share of the requests is theirs. */
  readonly loadBalancers: readonly string[];
  /** Invocations per second by the logical ID of a function an enabled EventBridge schedule runs. */
  readonly scheduledPerSec: ReadonlyMap<string, number>;
  /** Logical IDs of a multi-region tier's transit streams (tagged with the `transit` workload). */
  readonly transitStreams: ReadonlySet<string>;
}

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { minute: 60, hour: 3_600, day: 86_400 };

/**
 * The runs per second of an EventBridge schedule: `rate(N unit)` exactly; `cron(…)` with a
 * minute field of `*`, `*\/N`, `0/N` or one minute, every other field `*` or `?` but the hours
 * (`*` or one hour); any other cron expression as once a minute, the most a cron can run.
 */
export function scheduleRunsPerSec(expression: string): number {
  const rate = /^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$/.exec(expression.trim());
  if (rate) return 1 / (Number(rate[1]) * (SECONDS_PER_UNIT[rate[2] as string] as number));
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  const fields = cron?.[1]?.trim().split(/\s+/) ?? [];
  const [minute = '', hour = '', ...rest] = fields;
  const everyDay = fields.length === 6 && rest.every((f) => f === '*' || f === '?');
  const step = /^(?:\*|0)\/(\d+)$/.exec(minute);
  const perHour =
    minute === '*' ? 60 : step ? Math.ceil(60 / Number(step[1])) : /^\d+$/.test(minute) ? 1 : undefined;
  const hours = hour === '*' ? 24 : /^\d+$/.test(hour) ? 1 : undefined;
  if (!everyDay || perHour === undefined || hours === undefined) return 1 / 60;
  return (perHour * hours) / 86_400;
}

/** The custom resource that applies the ClickHouse migrations and the tables' retention. */
const CLICKHOUSE_MIGRATIONS_TYPE = 'Custom::ClickHouseMigrations';

/**
 * Its `Retention` property's keys (lib/constructs/clickhouse/migration.ts), by the size key the
 * S3 disk's bucket takes each as (`tier.retention`'s names). An empty `HotDays` (one disk, nothing
 * moves) gives no `hotDays`.
 */
const RETENTION_KEYS: Readonly<Record<string, string>> = {
  HotDays: 'hotDays',
  WarmDays: 'warmDays',
  BodiesDays: 'bodiesDays',
  MinuteRollupDays: 'minuteRollupDays',
  HourRollupDays: 'hourRollupDays',
  TtlMergeTimeoutSec: 'ttlMergeTimeoutSec',
};

/**
 * A ClickHouse data node's volume (`ClickHouse/Shard<s>Replica<r>Data`): its shard and replica,
 * from which the cost model counts the nodes.
 */
const DATA_VOLUME = /^ClickHouseShard(\d+)Replica(\d+)Data/;

/** A ClickHouse data node's instance (`ClickHouse/Shard<s>Replica<r>`): its shard and replica. */
const DATA_NODE = /^ClickHouseShard(\d+)Replica(\d+)(Resource)?$/;

/** The logical ID an `Fn::GetAtt` names. */
const getAttTarget = (value: unknown): string | undefined => {
  const target = list(obj(value)['Fn::GetAtt'])[0];
  return typeof target === 'string' ? target : undefined;
};

/** The logical ID a `Ref` names. */
const refTarget = (value: unknown): string | undefined => {
  const target = obj(value).Ref;
  return typeof target === 'string' ? target : undefined;
};

function related(resources: TemplateJson['Resources']): Related {
  const weights = new Map<string, number>();
  const firehoseBuckets = new Set<string>();
  const logRetentionDays = new Map<string, number>();
  const budgetsWithActions = new Set<string>();
  const clickHouseRetention: Record<string, number> = {};
  const zones = new Set<string>();
  const webAclLoadBalancers = new Map<string, string[]>();
  const loadBalancers: string[] = [];
  const scheduledPerSec = new Map<string, number>();
  const transitStreams = new Set<string>();
  for (const [logicalId, { Type, Properties: p = {} }] of Object.entries(resources)) {
    if (Type === 'AWS::Kinesis::Stream' && tagValue(p, COST_TAGS.workload) === TRANSIT_WORKLOAD) {
      transitStreams.add(logicalId);
    }
    if (Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer') loadBalancers.push(logicalId);
    if (Type === 'AWS::WAFv2::WebACLAssociation') {
      const acl = getAttTarget(p.WebACLArn);
      const alb = refTarget(p.ResourceArn);
      if (acl !== undefined && alb !== undefined) {
        webAclLoadBalancers.set(acl, [...(webAclLoadBalancers.get(acl) ?? []), alb]);
      }
    }
    if (Type === 'AWS::Events::Rule' && typeof p.ScheduleExpression === 'string' && p.State !== 'DISABLED') {
      const perSec = scheduleRunsPerSec(p.ScheduleExpression);
      for (const target of list(p.Targets).map(obj)) {
        const fn = getAttTarget(target.Arn);
        if (fn !== undefined && resources[fn]?.Type === 'AWS::Lambda::Function') {
          scheduledPerSec.set(fn, (scheduledPerSec.get(fn) ?? 0) + perSec);
        }
      }
    }
    if (Type === 'AWS::EC2::Subnet' && p.AvailabilityZone !== undefined) {
      zones.add(JSON.stringify(p.AvailabilityZone));
    }
    if (Type === CLICKHOUSE_MIGRATIONS_TYPE) {
      for (const [property, key] of Object.entries(RETENTION_KEYS)) {
        const days = numberOr(obj(p.Retention)[property], Number.NaN);
        if (!Number.isNaN(days)) clickHouseRetention[key] = days;
      }
    }
    if (Type === 'AWS::Logs::LogGroup' && typeof p.RetentionInDays === 'number') {
      logRetentionDays.set(logicalId, p.RetentionInDays);
    }
    if (Type === 'AWS::Budgets::BudgetsAction') {
      const budget = refTarget(p.BudgetName);
      if (budget !== undefined) budgetsWithActions.add(budget);
    }
    if (Type === 'AWS::Route53::RecordSet' && typeof p.Weight === 'number') {
      const target = getAttTarget(obj(p.AliasTarget).HostedZoneId);
      if (target !== undefined) weights.set(target, p.Weight);
    }
    if (Type === 'AWS::KinesisFirehose::DeliveryStream') {
      const destination = obj(p.ExtendedS3DestinationConfiguration ?? p.S3DestinationConfiguration);
      const bucket = getAttTarget(destination.BucketARN);
      if (bucket !== undefined) firehoseBuckets.add(bucket);
    }
  }
  return {
    weights,
    firehoseBuckets,
    logRetentionDays,
    budgetsWithActions,
    clickHouseRetention,
    availabilityZones: Math.max(1, zones.size),
    webAclLoadBalancers,
    loadBalancers,
    scheduledPerSec,
    transitStreams,
  };
}

/** The size of one resource of a billable type, with CloudFormation's defaults where it omits one. */
function sizeOf(
  type: BillableType,
  p: Record<string, unknown>,
  key: string,
  logicalId: string,
  others: Related,
): Size {
  switch (type) {
    case 'AWS::EC2::Instance': {
      const root = list(p.BlockDeviceMappings)
        .map((m) => obj(obj(m).Ebs))
        .filter((ebs) => Object.keys(ebs).length > 0);
      const node = DATA_NODE.exec(key);
      const size = {
        instanceType: String(p.InstanceType ?? 'm1.small'),
        count: 1,
        detailedMonitoring: p.Monitoring === true ? 1 : 0,
        ...(node && {
          clickHouseShard: Number(node[1]),
          clickHouseReplica: Number(node[2]),
          availabilityZones: others.availabilityZones,
        }),
      };
      // Block-device volumes are billed like AWS::EC2::Volume; the stack gives each instance one.
      const [first] = root;
      if (first === undefined) return size;
      return {
        ...size,
        ...volumeSize(first.VolumeType, first.VolumeSize, first.Iops, first.Throughput),
        blockDeviceVolumes: root.length,
      };
    }
    case 'AWS::EC2::Volume': {
      const node = DATA_VOLUME.exec(key);
      return {
        ...volumeSize(p.VolumeType, p.Size, p.Iops, p.Throughput),
        ...(node && { clickHouseShard: Number(node[1]), clickHouseReplica: Number(node[2]) }),
      };
    }
    case 'AWS::EC2::NatGateway':
      return { count: 1, connectivity: String(p.ConnectivityType ?? 'public') };
    case 'AWS::EC2::EIP':
      return { publicIpv4Addresses: 1 };
    case 'AWS::EC2::VPCEndpoint': {
      const endpointType = String(p.VpcEndpointType ?? 'Gateway');
      const service = serviceName(p.ServiceName);
      if (endpointType === 'Gateway') return { endpointType, service, free: 'gateway endpoints are free' };
      return { endpointType, service, azs: list(p.SubnetIds).length };
    }
    case 'AWS::EC2::FlowLog': {
      const destination = refTarget(p.LogGroupName);
      const retentionDays = destination === undefined ? undefined : others.logRetentionDays.get(destination);
      return {
        destinationType: String(p.LogDestinationType ?? 'cloud-watch-logs'),
        trafficType: String(p.TrafficType ?? 'ALL'),
        // The destination log group's retention; none: kept forever, or not a log group here.
        ...(retentionDays === undefined ? {} : { retentionDays }),
      };
    }
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
      return {
        loadBalancerType: String(p.Type ?? 'application'),
        scheme: String(p.Scheme ?? 'internet-facing'),
        ...(others.weights.has(logicalId) ? { weight: others.weights.get(logicalId) as number } : {}),
      };
    case 'AWS::Kinesis::Stream': {
      const retentionHours = numberOr(p.RetentionPeriodHours, 24);
      // `transit`: a multi-region tier's transit stream, which carries a share of the load.
      const workload = tagValue(p, COST_TAGS.workload);
      const tagged: Size = workload === undefined ? {} : { workload };
      if (obj(p.StreamModeDetails).StreamMode === 'ON_DEMAND') {
        return { mode: 'on-demand', retentionHours, ...tagged };
      }
      return { mode: 'provisioned', shardCount: numberOr(p.ShardCount, 1), retentionHours, ...tagged };
    }
    case 'AWS::KinesisFirehose::DeliveryStream': {
      const destination = obj(p.ExtendedS3DestinationConfiguration ?? p.S3DestinationConfiguration);
      const hints = obj(destination.BufferingHints);
      return {
        source: String(p.DeliveryStreamType ?? 'DirectPut'),
        bufferSizeMiB: numberOr(hints.SizeInMBs, 5),
        bufferIntervalSec: numberOr(hints.IntervalInSeconds, 300),
      };
    }
    case 'AWS::Lambda::Function': {
      const name = byPrefix(FUNCTION_BY_CONSTRUCT, key) ?? key;
      const size: Size = {
        function: name,
        // The functions the load drives; the others run at deploy time only.
        ...(USAGE_WORKLOADS.has(name) ? { workload: name } : {}),
        memoryMiB: numberOr(p.MemorySize, 128),
        architecture: String(list(p.Architectures)[0] ?? 'x86_64'),
        ephemeralStorageMiB: numberOr(obj(p.EphemeralStorage).Size, 512),
        tracing: String(obj(p.TracingConfig).Mode ?? 'PassThrough'),
      };
      if (p.ReservedConcurrentExecutions !== undefined) {
        size.reservedConcurrency = numberOr(p.ReservedConcurrentExecutions, 0);
      }
      const scheduled = others.scheduledPerSec.get(logicalId);
      if (scheduled !== undefined) size.scheduledPerSec = scheduled;
      return size;
    }
    case 'AWS::S3::Bucket': {
      // The tag names what the template cannot show; else the bucket Firehose writes to is the archive.
      const workload =
        tagValue(p, COST_TAGS.workload) ?? (others.firehoseBuckets.has(logicalId) ? 'archive' : undefined);
      return {
        ...(workload === undefined ? {} : { workload }),
        ...(workload === CLICKHOUSE_COLD_WORKLOAD ? others.clickHouseRetention : {}),
        ...lifecycleSize(p.LifecycleConfiguration),
        versioned: obj(p.VersioningConfiguration).Status === 'Enabled' ? 1 : 0,
      };
    }
    case 'AWS::DynamoDB::GlobalTable': {
      // Table-level settings apply to every replica; the replica list includes this region's own.
      const replicas = list(p.Replicas).map(obj);
      return {
        billingMode: String(p.BillingMode ?? 'PROVISIONED'),
        replicas: Math.max(1, replicas.length),
        pointInTimeRecovery: replicas.every(
          (r) => obj(r.PointInTimeRecoverySpecification).PointInTimeRecoveryEnabled === true,
        )
          ? 1
          : 0,
      };
    }
    case 'AWS::DynamoDB::Table': {
      const billingMode = String(p.BillingMode ?? 'PROVISIONED');
      const throughput = obj(p.ProvisionedThroughput);
      return {
        billingMode,
        ...(billingMode === 'PROVISIONED'
          ? {
              readCapacityUnits: numberOr(throughput.ReadCapacityUnits, 0),
              writeCapacityUnits: numberOr(throughput.WriteCapacityUnits, 0),
            }
          : {}),
        pointInTimeRecovery:
          obj(p.PointInTimeRecoverySpecification).PointInTimeRecoveryEnabled === true ? 1 : 0,
        tableClass: String(p.TableClass ?? 'STANDARD'),
      };
    }
    case 'AWS::Route53::HostedZone':
      return { count: 1, private: list(p.VPCs).length > 0 ? 1 : 0 };
    case 'AWS::Route53::HealthCheck': {
      const config = obj(p.HealthCheckConfig);
      return {
        checkType: String(config.Type ?? 'HTTP'),
        requestIntervalSec: numberOr(config.RequestInterval, 30),
        measureLatency: config.MeasureLatency === true ? 1 : 0,
      };
    }
    case 'AWS::Route53::RecordSet': {
      const size = { recordType: String(p.Type ?? 'A'), weighted: p.Weight === undefined ? 0 : 1 };
      return p.AliasTarget === undefined
        ? size
        : { ...size, free: 'alias queries to AWS resources are free' };
    }
    case 'AWS::SecretsManager::Secret':
      return { count: 1 };
    case 'AWS::Logs::LogGroup':
      return {
        // No retention: kept forever, so no `retentionDays`.
        ...(p.RetentionInDays === undefined ? {} : { retentionDays: numberOr(p.RetentionInDays, 0) }),
        logGroupClass: String(p.LogGroupClass ?? 'STANDARD'),
      };
    case 'AWS::KMS::Key':
      return {
        keySpec: String(p.KeySpec ?? 'SYMMETRIC_DEFAULT'),
        rotation: p.EnableKeyRotation === true ? 1 : 0,
      };
    case 'AWS::CertificateManager::Certificate':
      return p.CertificateAuthorityArn === undefined
        ? { certificate: 'public', free: 'public ACM certificates are free' }
        : { certificate: 'private', count: 1 };
    case 'AWS::CloudWatch::Alarm': {
      // A metric-math alarm is billed per metric it reads (its expressions are free); an anomaly
      // detection band adds two (its upper and lower bound), as AWS bills such an alarm as three.
      const queries = list(p.Metrics).map(obj);
      const stats = queries.map((q) => obj(q.MetricStat)).filter((stat) => Object.keys(stat).length > 0);
      const bands = queries.filter((q) =>
        String(q.Expression ?? '').includes('ANOMALY_DETECTION_BAND'),
      ).length;
      const periods = [p.Period, ...stats.map((stat) => stat.Period)].filter((v) => v !== undefined);
      return {
        metrics: Math.max(1, stats.length + 2 * bands),
        highResolution: periods.some((period) => numberOr(period, 60) < 60) ? 1 : 0,
      };
    }
    case 'AWS::CloudWatch::CompositeAlarm':
    case 'AWS::CloudWatch::Dashboard':
      return { count: 1 };
    case 'AWS::WAFv2::WebACL': {
      const albs = others.webAclLoadBalancers.get(logicalId) ?? [];
      const weight = (alb: string) => others.weights.get(alb) ?? 1;
      const total = others.loadBalancers.reduce((sum, alb) => sum + weight(alb), 0);
      const mine = albs.reduce((sum, alb) => sum + weight(alb), 0);
      return {
        rules: list(p.Rules).length,
        loadBalancers: albs.length,
        // The share of the requests it inspects: its load balancers' Route 53 weights over all.
        requestShare: total > 0 ? mine / total : 0,
      };
    }
    case 'AWS::Budgets::Budget':
      return others.budgetsWithActions.has(logicalId)
        ? { count: 1, actions: 1 }
        : { count: 1, free: 'budgets without actions are free' };
    case 'AWS::Lambda::EventSourceMapping': {
      // A multi-region tier's forwarder reads the transit stream, not the event stream.
      const source = getAttTarget(p.EventSourceArn);
      const transit: Size =
        source !== undefined && others.transitStreams.has(source) ? { workload: TRANSIT_WORKLOAD } : {};
      // CloudFormation's defaults for a Kinesis source: 100 records, no window, one batch per shard.
      return {
        ...transit,
        batchSize: numberOr(p.BatchSize, 100),
        maxBatchingWindowSec: numberOr(p.MaximumBatchingWindowInSeconds, 0),
        parallelizationFactor: numberOr(p.ParallelizationFactor, 1),
        free: 'billed through Lambda invocations and Kinesis reads',
      };
    }
  }
}

/** Every resource of a billable type in the template, with its component and size. */
export function inventory(template: TemplateJson): BillableResource[] {
  const others = related(template.Resources);
  return Object.entries(template.Resources).flatMap(([logicalId, resource]): BillableResource[] => {
    if (classify(resource.Type) !== 'billable') return [];
    const properties = resource.Properties ?? {};
    const key = constructKey(logicalId, resource.Metadata);
    const component =
      tagValue(properties, COST_TAGS.component) ?? byPrefix(COMPONENT_BY_CONSTRUCT, key) ?? 'unknown';
    return [
      {
        type: resource.Type,
        logicalId,
        component,
        size: sizeOf(resource.Type as BillableType, properties, key, logicalId, others),
      },
    ];
  });
}

const capitalized = (word: string) => `${word[0]?.toUpperCase() ?? ''}${word.slice(1)}`;

/** An EBS volume's figures: GiB-month, and gp3's IOPS and throughput above its baseline. */
function ebsKeys(volumeType: unknown, iops: unknown, throughputMiBps: unknown): string[] {
  const table = `ebs${capitalized(String(volumeType))}`;
  const keys = [`${table}.storageGbMonth`];
  const included =
    volumeType === 'gp3' ? GP3_BASELINE : { iops: 0, throughputMiBps: Number.POSITIVE_INFINITY };
  if (typeof iops === 'number' && iops > included.iops) keys.push(`${table}.iopsMonth`);
  if (typeof throughputMiBps === 'number' && throughputMiBps > included.throughputMiBps) {
    keys.push(`${table}.throughputMbpsMonth`);
  }
  return keys;
}

/** S3's storage and transition figures for each lifecycle destination the inventory names. */
const S3_CLASS_KEYS: Readonly<Record<string, readonly string[]>> = {
  infrequentAccessAfterDays: ['s3.standardIaGbMonth', 's3.transitionToIaPerThousand'],
  glacierInstantRetrievalAfterDays: ['s3.glacierInstantGbMonth', 's3.transitionToGlacierInstantPerThousand'],
  glacierAfterDays: ['s3.glacierFlexibleGbMonth', 's3.transitionToGlacierFlexiblePerThousand'],
  deepArchiveAfterDays: ['s3.deepArchiveGbMonth', 's3.transitionToDeepArchivePerThousand'],
};

/** The figures of the types whose price does not depend on their size. */
const FIXED_PRICE_KEYS = {
  'AWS::EC2::NatGateway': ['natGateway.hour', 'natGateway.processedGb'],
  'AWS::EC2::EIP': ['publicIpv4.hour'],
  'AWS::EC2::VPCEndpoint': ['interfaceEndpoint.azHour', 'interfaceEndpoint.processedGb'],
  'AWS::KinesisFirehose::DeliveryStream': [
    'firehose.ingestGbFirst500Tb',
    'firehose.ingestGbNext1500Tb',
    'firehose.ingestGbNext3000Tb',
  ],
  'AWS::Route53::HostedZone': ['route53.hostedZoneMonth'],
  'AWS::Route53::HealthCheck': ['route53.healthCheckMonth'],
  'AWS::Route53::RecordSet': ['route53.queriesPerMillion'],
  'AWS::SecretsManager::Secret': ['secretsManager.secretMonth', 'secretsManager.apiCallsPer10k'],
  'AWS::KMS::Key': ['kms.customerManagedKeyMonth', 'kms.requestsPer10k'],
  'AWS::CertificateManager::Certificate': ['acm.privateCertificateMonth'],
  'AWS::Budgets::Budget': ['budgets.actionBudgetDay'],
  'AWS::CloudWatch::CompositeAlarm': ['cloudWatch.compositeAlarmMonth'],
  'AWS::CloudWatch::Dashboard': ['cloudWatch.dashboardMonth'],
  'AWS::WAFv2::WebACL': ['waf.webAclMonth', 'waf.ruleMonth', 'waf.requestsPerMillion'],
  // Always marked free: its cost is in the loader's invocations.
  'AWS::Lambda::EventSourceMapping': [],
} as const satisfies Partial<Record<BillableType, readonly string[]>>;

type FixedPriceType = keyof typeof FIXED_PRICE_KEYS;

const hasFixedPrice = (type: BillableType): type is FixedPriceType => Object.hasOwn(FIXED_PRICE_KEYS, type);

/**
 * The figures of the price table (`lib/pricing/prices.ts`, as `listPrices` paths such as
 * `ec2.c5.xlarge` or `alb.lcuHour`) that an item is billed at, hourly and by usage. Empty for an item
 * marked `free`. A key the table lacks is a price still to be added, which the tests report.
 */
export function priceKeys(item: BillableResource): string[] {
  if (item.size.free !== undefined || classify(item.type) !== 'billable') return [];
  const type = item.type as BillableType;
  return hasFixedPrice(type) ? [...FIXED_PRICE_KEYS[type]] : sizedPriceKeys(type, item.size);
}

/** The figures of the types whose price depends on their size (instance type, mode, class, …). */
function sizedPriceKeys(type: Exclude<BillableType, FixedPriceType>, s: BillableResource['size']): string[] {
  switch (type) {
    case 'AWS::EC2::Instance':
      return [
        `ec2.${s.instanceType}`,
        ...(s.volumeType === undefined ? [] : ebsKeys(s.volumeType, s.volumeIops, s.volumeThroughputMiBps)),
        // Detailed monitoring is billed as custom metrics (seven per instance).
        ...(s.detailedMonitoring === 1 ? ['cloudWatch.customMetricMonth'] : []),
        // A data node's inserts and replica fetches cross availability zones.
        ...(s.clickHouseShard === undefined ? [] : ['dataTransfer.interAzGb']),
      ];
    case 'AWS::EC2::Volume':
      return ebsKeys(s.volumeType, s.volumeIops, s.volumeThroughputMiBps);
    case 'AWS::EC2::FlowLog':
      // Vended logs into CloudWatch Logs: the first band is the ordinary ingestion price.
      return s.destinationType === 'cloud-watch-logs'
        ? ['cloudWatch.logsIngestionGb']
        : [`vendedLogs.${s.destinationType}Gb`];
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
      return s.loadBalancerType === 'application'
        ? ['alb.hour', 'alb.lcuHour']
        : ['nlb.hour', 'nlb.nlcuHour'];
    case 'AWS::Kinesis::Stream':
      return s.mode === 'on-demand'
        ? [
            'kinesis.onDemandStreamHour',
            'kinesis.onDemandDataInGb',
            'kinesis.onDemandDataOutGb',
            ...(Number(s.retentionHours) > 24 ? ['kinesis.onDemandExtendedRetentionGbMonth'] : []),
          ]
        : [
            'kinesis.shardHour',
            'kinesis.putPayloadUnitsPerMillion',
            ...(Number(s.retentionHours) > 24 ? ['kinesis.extendedRetentionShardHour'] : []),
          ];
    case 'AWS::Lambda::Function':
      return [
        'lambda.requestsPerMillion',
        s.architecture === 'arm64' ? 'lambda.gbSecondArm64' : 'lambda.gbSecondX86',
        ...(s.tracing === 'Active' ? ['xRay.tracesRecordedPerMillion'] : []),
        ...(publishesCustomMetrics(String(s.function)) ? ['cloudWatch.customMetricMonth'] : []),
      ];
    case 'AWS::S3::Bucket':
      return [
        's3.standardGbMonthFirst50Tb',
        's3.standardGbMonthNext450Tb',
        's3.standardGbMonthOver500Tb',
        's3.putPerThousand',
        's3.getPerThousand',
        ...Object.keys(s)
          .filter((k) => k.endsWith('AfterDays') && k !== 'expireAfterDays')
          .flatMap((key) => S3_CLASS_KEYS[key] ?? [`s3.${key}`]),
      ];
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable':
      return [
        ...(s.billingMode === 'PAY_PER_REQUEST'
          ? ['dynamoDb.onDemandWritesPerMillion', 'dynamoDb.onDemandReadsPerMillion']
          : ['dynamoDb.provisionedWcuHour', 'dynamoDb.provisionedRcuHour']),
        'dynamoDb.storageGbMonth',
        ...(s.pointInTimeRecovery === 1 ? ['dynamoDb.pointInTimeRecoveryGbMonth'] : []),
      ];
    case 'AWS::Logs::LogGroup':
      return s.logGroupClass === 'STANDARD'
        ? ['cloudWatch.logsIngestionGb', 'cloudWatch.logsStorageGbMonth']
        : ['cloudWatch.logsInfrequentAccessIngestionGb', 'cloudWatch.logsStorageGbMonth'];
    case 'AWS::CloudWatch::Alarm':
      return [s.highResolution === 1 ? 'cloudWatch.highResolutionAlarmMonth' : 'cloudWatch.alarmMonth'];
  }
}
