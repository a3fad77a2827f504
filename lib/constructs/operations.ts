import { Aws, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmRule,
  AlarmStatusWidget,
  ComparisonOperator,
  CompositeAlarm,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { HttpCodeElb, HttpCodeTarget } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  CLICKHOUSE_DIMENSIONS,
  CLICKHOUSE_METRICS,
  LOADER_METRICS,
  METRIC_SERVICES,
  METRICS_NAMESPACE,
  QUERY_METRICS,
} from '../../functions/shared/metrics-catalog.js';
import { type AlarmName, type AlarmThreshold, alarmThresholds } from '../alarm-thresholds.js';
import { usd } from '../pricing/format.js';
import type { TierSpec } from '../tiers.js';
import type { IngestLoadBalancer } from './ingest-load-balancer.js';

/**
 * The data nodes' local disk on their gp3 data volume: ClickHouse's `default` disk (the `tiered`
 * policy's hot volume, lib/constructs/clickhouse/storage-config.ts), the one that fills.
 */
const DATA_DISK = 'default';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface OperationsProps {
  /** The tier: the alarms' thresholds come from its sizes (`alarmThresholds`). */
  readonly tier: TierSpec;
  /** The event stream. */
  readonly stream: IStream;
  /** The ingest validator behind the load balancers. */
  readonly validator: IFunction;
  /** The loader that reads the stream into ClickHouse. */
  readonly loader: IFunction;
  /** The query API behind the load balancers. */
  readonly query: IFunction;
  /** The region's load balancers, each with its validator and query target groups. */
  readonly loadBalancers: readonly IngestLoadBalancer[];
  /** The raw archive's Firehose delivery stream. */
  readonly deliveryStream: IDeliveryStream;
  /** The ClickHouse data nodes' names (`s1r1`, …): the health metrics' `node` dimension. */
  readonly clickhouseNodes: readonly string[];
  /**
   * Who is e-mailed when an alarm changes state; the address confirms the subscription once.
   * @default - no subscription: the topic is there to subscribe to
   */
  readonly alarmEmail?: string;
  /**
   * The tier's estimated monthly cost (lib/pricing), shown on the dashboard.
   * @default - the dashboard points at `npm run cost` instead
   */
  readonly costEstimate?: {
    readonly byComponentUsd: Readonly<Record<string, number>>;
    readonly totalUsd: number;
  };
}

const comparison = (t: AlarmThreshold) =>
  t.comparison === 'above'
    ? ComparisonOperator.GREATER_THAN_THRESHOLD
    : ComparisonOperator.LESS_THAN_THRESHOLD;

const missing = (t: AlarmThreshold) =>
  t.missingData === 'notBreaching' ? TreatMissingData.NOT_BREACHING : TreatMissingData.MISSING;

/**
 * The region's operations: an alarm topic, alarms whose thresholds come from the tier's sizes
 * (`lib/alarm-thresholds.ts`), a composite "ingest is unhealthy" alarm over the ingest path, and
 * a dashboard of ingest, stream, loader, archive and ClickHouse with the tier's cost estimate.
 * The runbook, one section per alarm, is docs/operations.md.
 */
export class Operations extends Construct {
  /** Where every alarm sends its state changes: KMS-encrypted, TLS only. */
  readonly topic: Topic;
  /** Every alarm, by its name in `alarmThresholds`; per load balancer or node, several. */
  readonly alarms: ReadonlyMap<AlarmName, readonly Alarm[]>;
  /** Any of the ingest path's alarms: load balancer 5xx, validator throttles, stream throttles, iterator age. */
  readonly ingestUnhealthy: CompositeAlarm;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { tier } = props;
    if (props.alarmEmail !== undefined && !EMAIL.test(props.alarmEmail)) {
      throw new Error(
        `alarmEmail must be an e-mail address (-c alarmEmail=you@example.com), got ${JSON.stringify(props.alarmEmail)}`,
      );
    }
    if (props.loadBalancers.length === 0)
      throw new Error('loadBalancers must name at least one load balancer');
    const thresholds = alarmThresholds(tier);
    const stackName = Stack.of(this).stackName;

    // The AWS-managed SNS key cannot be granted to CloudWatch, so alarms could not publish to a
    // topic encrypted with it: the topic has a key of its own that CloudWatch may use.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm topic; CloudWatch alarms may encrypt with it to publish',
      enableKeyRotation: true,
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `EvalForge alarms (${stackName})`,
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined) {
      this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    }
    const action = new SnsAction(this.topic);

    const alarms = new Map<AlarmName, Alarm[]>();
    const thresholdOf = (name: AlarmName): AlarmThreshold => {
      const t = thresholds[name];
      if (t === undefined) throw new Error(`tier ${tier.id} has no ${name} alarm`);
      return t;
    };
    const alarm = (name: AlarmName, metric: IMetric, suffix = ''): Alarm => {
      const t = thresholdOf(name);
      const created = new Alarm(this, `${name[0]?.toUpperCase()}${name.slice(1)}${suffix}`, {
        alarmName: `${stackName}-${name}${suffix ? `-${suffix}` : ''}`,
        alarmDescription: `${t.meaning}. Runbook: docs/operations.md#${name.toLowerCase()}`,
        metric:
          metric instanceof Metric
            ? metric.with({ statistic: t.statistic, period: Duration.seconds(t.periodSec) })
            : metric,
        threshold: t.threshold,
        comparisonOperator: comparison(t),
        evaluationPeriods: t.evaluationPeriods,
        treatMissingData: missing(t),
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      alarms.set(name, [...(alarms.get(name) ?? []), created]);
      return created;
    };
    const period = (name: AlarmName) => Duration.seconds(thresholdOf(name).periodSec);

    // Ingest: the load balancers, and the validators behind them.
    const ingest5xx = props.loadBalancers.map((alb, i) => {
      const lb = alb.loadBalancer.metrics;
      const rate = new MathExpression({
        label: `Alb${i + 1} ingest 5xx rate`,
        expression: 'IF(requests > 0, (FILL(elb, 0) + FILL(target, 0)) / requests, 0)',
        usingMetrics: {
          requests: lb.requestCount({ statistic: 'Sum' }),
          elb: lb.httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum' }),
          target: alb.validatorTargets.metrics.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, {
            statistic: 'Sum',
          }),
        },
        period: period('alb5xxRate'),
      });
      return alarm('alb5xxRate', rate, `Alb${i + 1}`);
    });
    const validatorThrottles = alarm('validatorThrottles', props.validator.metricThrottles());
    const validatorConcurrency = props.validator.metric('ConcurrentExecutions');
    alarm('validatorConcurrency', validatorConcurrency);

    // The stream: writes against the shards' limits, and how far behind its readers are.
    const incomingBytes = props.stream.metricIncomingBytes();
    const incomingRecords = props.stream.metricIncomingRecords();
    const writeThrottles = props.stream.metricWriteProvisionedThroughputExceeded();
    const iteratorAge = props.stream.metricGetRecordsIteratorAgeMilliseconds();
    alarm('streamIncomingBytes', incomingBytes);
    alarm('streamIncomingRecords', incomingRecords);
    const streamThrottles = alarm('streamWriteThrottles', writeThrottles);
    const streamBehind = alarm('streamIteratorAge', iteratorAge);

    // The loader.
    const deadLetters = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: LOADER_METRICS.deadLetters,
      dimensionsMap: { service: METRIC_SERVICES.loader },
    });
    alarm('loaderErrors', props.loader.metricErrors());
    alarm('loaderThrottles', props.loader.metricThrottles());
    alarm('loaderDuration', props.loader.metricDuration());
    alarm('deadLetters', deadLetters);

    // The archive.
    const freshness = props.deliveryStream.metric('DeliveryToS3.DataFreshness');
    const delivered = props.deliveryStream.metric('DeliveryToS3.Success');
    alarm('firehoseFreshness', freshness);
    alarm('firehoseDeliverySuccess', delivered);

    // ClickHouse: one disk alarm per data node.
    const health = (metricName: string, node: string, disk?: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: {
          service: METRIC_SERVICES.clickhouse,
          [CLICKHOUSE_DIMENSIONS.node]: node,
          ...(disk === undefined ? {} : { [CLICKHOUSE_DIMENSIONS.disk]: disk }),
        },
      });
    const diskFree = (node: string) => health(CLICKHOUSE_METRICS.diskFreeRatio, node, DATA_DISK);
    for (const node of props.clickhouseNodes) alarm('clickhouseDiskFree', diskFree(node), node);
    // And one per data node the health function cannot read: its disk alarm then has no data.
    for (const node of props.clickhouseNodes) {
      alarm('clickhouseNodeUnreachable', health(CLICKHOUSE_METRICS.nodeUnreachable, node), node);
    }
    // And, where shards have replicas, one per data node whose replication queue is stuck.
    const queueAge = (node: string) => health(CLICKHOUSE_METRICS.replicationQueueOldestSec, node);
    if (thresholds.clickhouseReplicationQueueAge !== undefined) {
      for (const node of props.clickhouseNodes) {
        alarm('clickhouseReplicationQueueAge', queueAge(node), node);
      }
    }

    // The query API, per load balancer.
    props.loadBalancers.forEach((alb, i) => {
      const tg = alb.queryTargets.metrics;
      const rate = new MathExpression({
        label: `Alb${i + 1} query 5xx rate`,
        expression: 'IF(requests > 0, FILL(target, 0) / requests, 0)',
        usingMetrics: {
          requests: tg.requestCount({ statistic: 'Sum' }),
          target: tg.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum' }),
        },
        period: period('query5xxRate'),
      });
      alarm('query5xxRate', rate, `Alb${i + 1}`);
    });
    this.alarms = alarms;

    this.ingestUnhealthy = new CompositeAlarm(this, 'IngestUnhealthy', {
      compositeAlarmName: `${stackName}-ingestUnhealthy`,
      alarmDescription:
        'Ingest is unhealthy: a load balancer answers 5xx, the validators are throttled, the stream ' +
        'refuses writes or its readers are behind. Runbook: docs/operations.md#ingestunhealthy',
      alarmRule: AlarmRule.anyOf(...ingest5xx, validatorThrottles, streamThrottles, streamBehind),
    });
    this.ingestUnhealthy.addAlarmAction(action);
    this.ingestUnhealthy.addOkAction(action);

    // The dashboard: a row per part of the pipeline, each threshold drawn on its graph.
    const line = (name: AlarmName, label = name) => ({
      value: thresholdOf(name).threshold,
      label: `alarm: ${label}`,
    });
    const graph = (
      title: string,
      left: IMetric[],
      options: { readonly threshold?: AlarmName; readonly right?: IMetric[]; readonly width?: number } = {},
    ) =>
      new GraphWidget({
        title,
        left,
        right: options.right,
        // A tier without the alarm (a replicated-only one on a tier of one replica) draws no line.
        leftAnnotations:
          options.threshold && thresholds[options.threshold] !== undefined
            ? [line(options.threshold)]
            : undefined,
        width: options.width ?? 8,
        height: 6,
      });
    const minute = (m: Metric, statistic: string) => m.with({ statistic, period: Duration.minutes(1) });
    const fiveMin = (m: Metric, statistic: string) => m.with({ statistic, period: Duration.minutes(5) });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${stackName}-${Aws.REGION}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({ markdown: this.header(props), width: 16, height: 6 }),
      new AlarmStatusWidget({
        title: 'Alarms',
        alarms: [this.ingestUnhealthy, ...[...alarms.values()].flat()],
        width: 8,
        height: 6,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Ingest: load balancer requests and 5xx',
        props.loadBalancers.flatMap((alb, i) => [
          alb.loadBalancer.metrics.requestCount({ statistic: 'Sum', label: `Alb${i + 1} requests` }),
        ]),
        {
          right: props.loadBalancers.flatMap((alb, i) => [
            alb.loadBalancer.metrics.httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, {
              statistic: 'Sum',
              label: `Alb${i + 1} ELB 5xx`,
            }),
            alb.validatorTargets.metrics.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, {
              statistic: 'Sum',
              label: `Alb${i + 1} validator 5xx`,
            }),
          ]),
        },
      ),
      graph(
        `Ingest: validators running (reserved ${tier.ingest.validator.reservedConcurrency})`,
        [fiveMin(validatorConcurrency, 'Maximum')],
        { threshold: 'validatorConcurrency', right: [props.validator.metricThrottles({ statistic: 'Sum' })] },
      ),
      graph(
        'Ingest: validator duration',
        [
          props.validator.metricDuration({ statistic: 'p50' }),
          props.validator.metricDuration({ statistic: 'p99' }),
        ],
        { right: [props.validator.metricErrors({ statistic: 'Sum' })] },
      ),
    );
    this.dashboard.addWidgets(
      graph('Stream: bytes in a minute', [minute(incomingBytes, 'Sum')], {
        threshold: 'streamIncomingBytes',
      }),
      graph('Stream: records in a minute', [minute(incomingRecords, 'Sum')], {
        threshold: 'streamIncomingRecords',
      }),
      graph('Stream: write throttles and iterator age', [minute(writeThrottles, 'Sum')], {
        right: [minute(iteratorAge, 'Maximum')],
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Loader: duration',
        [
          props.loader.metricDuration({ statistic: 'p50' }),
          props.loader.metricDuration({ statistic: 'Maximum' }),
        ],
        { threshold: 'loaderDuration' },
      ),
      graph('Loader: errors, throttles, dead letters', [
        props.loader.metricErrors({ statistic: 'Sum' }),
        props.loader.metricThrottles({ statistic: 'Sum' }),
        fiveMin(deadLetters, 'Sum'),
      ]),
      graph('Loader: lag (ms)', [
        props.loader.metric('IteratorAge', { statistic: 'Maximum', label: 'iterator age' }),
        fiveMin(
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: LOADER_METRICS.loadLag,
            dimensionsMap: { service: METRIC_SERVICES.loader },
            label: 'stream to ClickHouse',
          }),
          'Maximum',
        ),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Archive: Firehose freshness (s)', [fiveMin(freshness, 'Maximum')], {
        threshold: 'firehoseFreshness',
        width: 12,
      }),
      graph('Archive: Firehose delivery success', [fiveMin(delivered, 'Minimum')], {
        threshold: 'firehoseDeliverySuccess',
        width: 12,
      }),
    );
    const perNode = (metric: (node: string) => Metric, statistic: string) =>
      props.clickhouseNodes.map((node) => fiveMin(metric(node), statistic).with({ label: node }));
    const nodeMetric = (metricName: string) => (node: string) => health(metricName, node);
    this.dashboard.addWidgets(
      graph('ClickHouse: disk free (share)', perNode(diskFree, 'Minimum'), {
        threshold: 'clickhouseDiskFree',
        width: 6,
      }),
      graph(
        'ClickHouse: parts in the fullest partition',
        perNode(nodeMetric(CLICKHOUSE_METRICS.maxPartsPerPartition), 'Maximum'),
        {
          width: 6,
        },
      ),
      graph(
        'ClickHouse: replication queue',
        perNode(nodeMetric(CLICKHOUSE_METRICS.replicationQueueSize), 'Maximum'),
        {
          width: 6,
        },
      ),
      graph(
        'Query API: latency by route (p99, ms)',
        [
          new MathExpression({
            label: 'p99',
            expression: `SEARCH('{${METRICS_NAMESPACE},service,route} MetricName="${QUERY_METRICS.latency}" service="${METRIC_SERVICES.query}"', 'p99', 300)`,
            period: Duration.minutes(5),
          }),
        ],
        { right: [props.query.metricErrors({ statistic: 'Sum' })], width: 6 },
      ),
    );
    this.dashboard.addWidgets(
      graph('ClickHouse: merges running', perNode(nodeMetric(CLICKHOUSE_METRICS.mergesRunning), 'Maximum'), {
        width: 8,
      }),
      graph(
        'ClickHouse: failed inserts and selects',
        perNode(nodeMetric(CLICKHOUSE_METRICS.failedInserts), 'Sum').map((m) =>
          m.with({ label: `${m.label} inserts` }),
        ),
        {
          right: perNode(nodeMetric(CLICKHOUSE_METRICS.failedSelects), 'Sum').map((m) =>
            m.with({ label: `${m.label} selects` }),
          ),
          width: 8,
        },
      ),
      graph('ClickHouse: oldest replication queue entry (s)', perNode(queueAge, 'Maximum'), {
        threshold: 'clickhouseReplicationQueueAge',
        width: 8,
      }),
    );
  }

  /** The dashboard's header: the tier, its band and its estimated monthly cost. */
  private header(props: OperationsProps): string {
    const { tier, costEstimate } = props;
    const lines = [
      `# EvalForge tier ${tier.id}: ${tier.name}`,
      `Sized for ${tier.floorEventsPerSec.toLocaleString('en-US')}–${tier.ceilingEventsPerSec.toLocaleString('en-US')} events/s. ` +
        'Runbook for every alarm: docs/operations.md.',
      '',
    ];
    if (costEstimate) {
      lines.push(
        `**Estimated monthly cost at the ceiling: ${usd(costEstimate.totalUsd)}** (npm run cost)`,
        '',
        '| component | per month |',
        '|---|---|',
        ...Object.entries(costEstimate.byComponentUsd).map(([name, value]) => `| ${name} | ${usd(value)} |`),
      );
    } else {
      lines.push(`Estimated monthly cost: \`npm run cost -- --tier ${tier.id}\`.`);
    }
    return lines.join('\n');
  }
}
