import { Aws, CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { AccessLogBucket } from '../constructs/access-log-bucket.js';
import { ApiKeyTable } from '../constructs/api-key-table.js';
import { ClickHouseCluster } from '../constructs/clickhouse/clickhouse-cluster.js';
import { dataNodeName, dataNodes } from '../constructs/clickhouse/cluster-layout.js';
import { CLICKHOUSE_USERS } from '../constructs/clickhouse/users-config.js';
import { ClickHouseHealth } from '../constructs/clickhouse-health.js';
import { CostBudget } from '../constructs/cost-budget.js';
import { DashboardSite } from '../constructs/dashboard-site.js';
import { EventStream } from '../constructs/event-stream.js';
import { ForwarderFunction } from '../constructs/forwarder-function.js';
import { IngestFirewall } from '../constructs/ingest-firewall.js';
import { IngestLoadBalancer } from '../constructs/ingest-load-balancer.js';
import { LoaderFunction } from '../constructs/loader-function.js';
import { Network } from '../constructs/network.js';
import { Operations } from '../constructs/operations.js';
import { QueryFunction } from '../constructs/query-function.js';
import { RawArchive } from '../constructs/raw-archive.js';
import { ReplayJob } from '../constructs/replay-job.js';
import { ValidatorFunction } from '../constructs/validator-function.js';
import { WeightedDns } from '../constructs/weighted-dns.js';
import { CLICKHOUSE_COLD_WORKLOAD, COST_TAGS, TRANSIT_WORKLOAD } from '../pricing/cost-tags.js';
import type { TierSpec } from '../tiers.js';
import {
  eventStreamArn,
  eventStreamName,
  globalEndpointName,
  regionalEndpoint,
  transitStreamName,
} from './regional-names.js';

/** Where a stack of a multi-region tier stands among the tier's regions. */
export interface RegionPlacement {
  /** This stack's region. */
  readonly region: string;
  /** The account of every region of the tier: the other regions' stream ARNs are computed in it. */
  readonly account: string;
  /** Every region of the tier, the primary first (it creates the key table's replicas). */
  readonly regions: readonly string[];
  /**
   * What the primary region's stack made that another region needs (cross-region references,
   * `crossRegionReferences` on both stacks): the key table's name, to read its replica, and the
   * event stream's ARN, to forward to. The primary keeps the generated names it had in a
   * single-region tier, so a move up to this tier updates its stream and table in place.
   * @default - this is the primary region
   */
  readonly primary?: { readonly keyTableName: string; readonly eventStreamArn: string };
}

export interface EvalForgeStackProps extends StackProps {
  /** The tier's slice of the sizing table. */
  readonly tier: TierSpec;
  /** The DNS zone the regional endpoint lives in, e.g. `example.com`. */
  readonly domainName: string;
  /** The Route 53 hosted zone of `domainName`. */
  readonly hostedZoneId: string;
  /**
   * Who is e-mailed when an alarm changes state (docs/operations.md).
   * @default - no subscription: the alarm topic is there to subscribe to
   */
  readonly alarmEmail?: string;
  /**
   * This stack's place in a multi-region tier: its event stream gets a name the other regions'
   * forwarders write to, it gets a transit stream and a forwarder of its own, and the key table
   * is the tier's global table (created by the primary region, a replica elsewhere).
   * @default - a single-region tier
   */
  readonly placement?: RegionPlacement;
  /** Model prices for OTLP spans with tokens and no cost, JSON (`-c modelPrices=…`); checked at synth. */
  readonly modelPrices?: string;
  /**
   * The tier's estimated monthly cost at its ceiling, priced from this stack's own template
   * (`lib/pricing`): each component's figure becomes an output, the total a budget.
   * @default - no cost outputs and no budget
   */
  readonly costEstimate?: {
    readonly byComponentUsd: Readonly<Record<string, number>>;
    readonly totalUsd: number;
    /** Who hears when spend passes 80% of the total, or its forecast 100%. */
    readonly budgetEmail: string;
  };
}

/**
 * One EvalForge region at one tier: composition only. Every construct gets its slice of the
 * tier; no construct id names the tier, so a tier change updates resources in place.
 */
export class EvalForgeStack extends Stack {
  /** The name SDK clients send to: `ingest.<region>.<domain>`. */
  readonly endpointName: string;
  /** The API key table's name: the other regions of a multi-region tier read its replicas by it. */
  readonly keyTableName: string;
  /** The event stream's ARN: the other regions' forwarders write to it. */
  readonly eventStreamArn: string;

  constructor(scope: Construct, id: string, props: EvalForgeStackProps) {
    super(scope, id, props);
    const { tier } = props;
    Tags.of(this).add(COST_TAGS.tier, String(tier.id));
    const component = (construct: Construct, name: string) =>
      Tags.of(construct).add(COST_TAGS.component, name);

    const network = new Network(this, 'Network', tier.network);
    component(network, 'network');

    const { placement } = props;
    if (placement && !placement.regions.includes(placement.region)) {
      throw new Error(`placement.region ${placement.region} is not one of ${placement.regions.join(', ')}`);
    }
    if (placement && tier.crossRegion === undefined) {
      throw new Error(`tier ${tier.id} has no crossRegion spec: it deploys to one region`);
    }
    const primaryRegion = placement?.regions[0];
    const isPrimary = placement === undefined || placement.region === primaryRegion;
    if (placement && !isPrimary && placement.primary === undefined) {
      throw new Error(
        `the stack of ${placement.region} needs placement.primary: the primary region's key table and stream`,
      );
    }
    // The primary's stream keeps its generated name (a name on an existing stream replaces it);
    // the other regions' streams are named, so that every region can compute their ARNs.
    const stream = new EventStream(this, 'EventStream', {
      ...tier.stream,
      ...(placement && !isPrimary ? { streamName: eventStreamName(placement.region) } : {}),
    });
    component(stream, 'stream');
    const keys = new ApiKeyTable(
      this,
      'ApiKeys',
      placement === undefined
        ? {}
        : isPrimary
          ? { replicationRegions: placement.regions.filter((r) => r !== primaryRegion) }
          : { replicaOf: (placement.primary as { keyTableName: string }).keyTableName },
    );
    if (keys.replicaProvider) component(keys.replicaProvider, 'ingest');
    this.keyTableName = keys.table.tableName;
    this.eventStreamArn = stream.stream.streamArn;
    component(keys, 'ingest');

    const archive = new RawArchive(this, 'RawArchive', {
      stream: stream.stream,
      bufferSizeMiB: tier.archive.bufferSizeMiB,
      bufferIntervalSec: tier.archive.bufferIntervalSec,
      ...tier.archive.lifecycle,
    });
    component(archive, 'archive');

    const clickhouse = new ClickHouseCluster(this, 'ClickHouse', {
      vpc: network.vpc,
      ...tier.clickhouse,
      retention: tier.retention,
      // The cluster's CA and node certificates: increment to re-issue them all (docs/deploy.md).
      certificateGeneration: 1,
    });
    component(clickhouse, 'analytics');
    // Its bill follows how much the TTLs move to S3 and how often the nodes read it back.
    Tags.of(clickhouse.coldBucket).add(COST_TAGS.workload, CLICKHOUSE_COLD_WORKLOAD);

    const loader = new LoaderFunction(this, 'Loader', {
      vpc: network.vpc,
      clientSecurityGroup: clickhouse.clientSecurityGroup,
      stream: stream.stream,
      clickhouseUrl: clickhouse.url,
      passwordSecret: clickhouse.loaderPassword,
      // HTTPS inside the VPC: the functions verify the nodes against the cluster's own CA.
      caCertificate: clickhouse.caCertificate,
      // Each project's rows go to the shard that owns it, on its local tables: no hop through
      // another node, and asynchronous inserts gather a node's parts.
      shardUrls: clickhouse.shardUrls,
      failureDestination: archive.loaderFailureDestination(),
      ...tier.loader,
    });
    component(loader, 'loader');

    // The raw archive loaded back into ClickHouse on demand, as the loader loads (docs/operations.md).
    const replay = new ReplayJob(this, 'Replay', {
      vpc: network.vpc,
      clientSecurityGroup: clickhouse.clientSecurityGroup,
      clickhouseUrl: clickhouse.url,
      passwordSecret: clickhouse.loaderPassword,
      caCertificate: clickhouse.caCertificate,
      shardUrls: clickhouse.shardUrls,
      archiveBucket: archive.bucket,
      ...tier.replay,
    });
    component(replay, 'archive');

    const validator = new ValidatorFunction(this, 'Validator', {
      stream: stream.stream,
      keyTable: keys.table,
      ...tier.ingest.validator,
      ...(props.modelPrices ? { modelPrices: props.modelPrices } : {}),
    });
    component(validator, 'ingest');

    // Events for a project homed in another region go to the transit stream, and the forwarder
    // puts them into that region's event stream: stored once, in the home region.
    if (placement && tier.crossRegion) {
      const transit = new EventStream(this, 'TransitStream', {
        mode: 'on-demand',
        retentionHours: tier.crossRegion.transit.retentionHours,
        streamName: transitStreamName(placement.region),
      });
      component(transit, 'stream');
      Tags.of(transit).add(COST_TAGS.workload, TRANSIT_WORKLOAD);
      validator.function.addEnvironment('TRANSIT_STREAM_NAME', transit.stream.streamName);
      transit.stream.grantWrite(validator.function);
      const forwarder = new ForwarderFunction(this, 'Forwarder', {
        transitStream: transit.stream,
        ownStream: stream.stream,
        homeStreamArns: Object.fromEntries(
          placement.regions
            .filter((r) => r !== placement.region)
            .map((r) => [
              r,
              r === primaryRegion
                ? (placement.primary as { eventStreamArn: string }).eventStreamArn
                : eventStreamArn(r, placement.account),
            ]),
        ),
        ...tier.crossRegion.forwarder,
      });
      component(forwarder, 'stream');
    }

    const query = new QueryFunction(this, 'Query', {
      vpc: network.vpc,
      clientSecurityGroup: clickhouse.clientSecurityGroup,
      keyTable: keys.table,
      clickhouseUrl: clickhouse.url,
      passwordSecret: clickhouse.queryPassword,
      caCertificate: clickhouse.caCertificate,
      ...tier.query,
    });
    component(query, 'query');
    // A project's queries are answered by its home region: the query API sends a key homed
    // elsewhere to that region's endpoint.
    const regions = placement?.regions ?? [this.region];
    query.function.addEnvironment(
      'REGIONAL_ENDPOINTS',
      JSON.stringify(Object.fromEntries(regions.map((r) => [r, regionalEndpoint(r, props.domainName)]))),
    );

    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: props.hostedZoneId,
      zoneName: props.domainName,
    });
    this.endpointName = `ingest.${Aws.REGION}.${props.domainName}`;
    const certificate = new Certificate(this, 'Certificate', {
      domainName: this.endpointName,
      // Across regions, clients send to the latency-routed `ingest.<domain>` (EvalForge-Global),
      // answered by any region's load balancers: each region's certificate names it too.
      ...(placement ? { subjectAlternativeNames: [globalEndpointName(props.domainName)] } : {}),
      validation: CertificateValidation.fromDns(zone),
    });
    const accessLogs = new AccessLogBucket(this, 'AlbAccessLogs');
    const loadBalancers = Array.from({ length: tier.ingest.albCount }, (_, i) => {
      const alb = new IngestLoadBalancer(this, `Alb${i + 1}`, {
        vpc: network.vpc,
        certificate,
        validator: validator.function,
        query: query.function,
        accessLogs: accessLogs.bucket,
        accessLogPrefix: `alb-${i + 1}`,
      });
      component(alb, 'ingest');
      return alb;
    });
    const dns = new WeightedDns(this, 'Dns', {
      zone,
      recordName: this.endpointName,
      loadBalancers: loadBalancers.map((alb) => alb.loadBalancer),
      weights: [...tier.ingest.albWeights],
    });
    for (const part of [certificate, accessLogs, dns]) component(part, 'ingest');

    // The web dashboard on CloudFront, calling this region's query API; the API's CORS answers
    // name the dashboard's origin alone. Billed with the query API it is the browser face of.
    const dashboard = new DashboardSite(this, 'Dashboard', {
      apiUrl: `https://${this.endpointName}`,
      accessLogs: accessLogs.bucket,
      accessLogPrefix: 'dashboard/',
    });
    for (const part of [dashboard, dashboard.deploymentFunction]) component(part, 'query');
    query.function.addEnvironment('DASHBOARD_ORIGIN', dashboard.origin);

    // Per-key fairness at the edge: one web ACL on every ingest load balancer, limits from the tier.
    const firewall = new IngestFirewall(this, 'Firewall', {
      loadBalancers: loadBalancers.map((alb) => alb.loadBalancer),
      limits: tier.ingest.waf,
    });
    component(firewall, 'ingest');

    // ClickHouse's own health (disks, parts, merges, replication, failed queries) every minute.
    const health = new ClickHouseHealth(this, 'ClickHouseHealth', {
      vpc: network.vpc,
      clientSecurityGroup: clickhouse.clientSecurityGroup,
      nodeUrls: clickhouse.shardUrls.flat(),
      passwordSecret: clickhouse.monitorPassword,
      user: CLICKHOUSE_USERS.monitor,
      caCertificate: clickhouse.caCertificate,
    });
    component(health, 'operations');

    // Alarms at the tier's own thresholds, to a topic, and a dashboard that shows the cost estimate.
    const operations = new Operations(this, 'Operations', {
      tier,
      stream: stream.stream,
      validator: validator.function,
      loader: loader.function,
      query: query.function,
      loadBalancers,
      deliveryStream: archive.deliveryStream,
      clickhouseNodes: dataNodes(tier.clickhouse).map(dataNodeName),
      alarmEmail: props.alarmEmail,
      costEstimate: props.costEstimate,
    });
    component(operations, 'operations');

    // What a platform engineer needs after a deploy: where clients send, where keys and data live.
    new CfnOutput(this, 'IngestEndpoint', {
      value: `https://${this.endpointName}`,
      description: 'The regional endpoint SDK clients send events to (region + domain in the SDK)',
    });
    new CfnOutput(this, 'ApiKeyTableName', {
      value: keys.table.tableName,
      description: 'npm run keys -- create --project <id> --table <this>',
    });
    new CfnOutput(this, 'RawArchiveBucketName', {
      value: archive.bucket.bucketName,
      description: 'Every accepted event, as delivered by Firehose (events/year=…/month=…/day=…/hour=…/)',
    });
    new CfnOutput(this, 'ReplayStateMachineArn', {
      value: replay.stateMachine.stateMachineArn,
      description:
        'aws stepfunctions start-execution --state-machine-arn <this> --input \'{"from":"…","to":"…"}\' (docs/operations.md)',
    });
    new CfnOutput(this, 'ReplayFunctionName', {
      value: replay.function.functionName,
      description:
        'The replay job\'s function; aws lambda invoke it with {"action":"redrive"} to redrive dead letters',
    });
    new CfnOutput(this, 'ClickHouseColdBucketName', {
      value: clickhouse.coldBucket.bucketName,
      description:
        "The ClickHouse nodes' S3 disk: parts past the retention's hot days, under clickhouse/<node>/ (retained)",
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: operations.topic.topicArn,
      description:
        'Every alarm and "ingest unhealthy" notify here (docs/operations.md); subscribe with -c alarmEmail=…',
    });
    new CfnOutput(this, 'ClickHouseUrl', {
      value: clickhouse.url,
      description:
        "ClickHouse inside the VPC, HTTPS with the cluster's own CA (reachable from the loader and query functions only)",
    });

    const estimate = props.costEstimate;
    if (estimate) {
      const usd = (value: number) =>
        `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
      for (const [name, value] of Object.entries(estimate.byComponentUsd)) {
        const id = name.replace(/(^|[^a-z])([a-z])/g, (_, __, c: string) => c.toUpperCase());
        new CfnOutput(this, `EstimatedMonthlyCost${id}`, {
          value: usd(value),
          description: `Estimated monthly cost of the ${name} component at tier ${tier.id}'s ceiling, first month (npm run cost)`,
        });
      }
      new CfnOutput(this, 'EstimatedMonthlyCostTotal', {
        value: usd(estimate.totalUsd),
        description: `Estimated monthly cost at tier ${tier.id}'s ceiling, first month (npm run cost); the budget's limit`,
      });
      const budget = new CostBudget(this, 'CostBudget', {
        monthlyLimitUsd: estimate.totalUsd,
        notifyEmail: estimate.budgetEmail,
        tag: { key: COST_TAGS.tier, value: String(tier.id) },
      });
      component(budget, 'finops');
    }
  }
}
