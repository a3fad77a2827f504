/**
 * The limits of an EBS gp3 volume, as EC2 documents them since gp3 grew to 64 TiB, 80,000 IOPS
 * and 2,000 MiB/s (and as aws-cdk-lib's `Volume` checks them): the sizing table's tests
 * (test/lib/tiers.test.ts) and the ClickHouse construct's props read this one table.
 * https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html#gp3-ebs-volume-type
 */
export const GP3_LIMITS = {
  minGiB: 1,
  maxGiB: 65_536,
  minIops: 3_000,
  maxIops: 80_000,
  /** IOPS a volume may have per GiB of its size. */
  maxIopsPerGiB: 500,
  minThroughputMiBps: 125,
  maxThroughputMiBps: 2_000,
  /** MiB/s a volume may have per provisioned IOPS. */
  maxThroughputMiBpsPerIops: 0.25,
} as const;
