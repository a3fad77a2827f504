import { Duration, Validations } from 'aws-cdk-lib';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PRIVATE_BUCKET } from './private-bucket.js';

export interface AccessLogBucketProps {
  /**
   * How long a log object is kept before S3 expires it.
   *
   * @default Duration.days(90)
   */
  readonly expiration?: Duration;
}

/**
 * The bucket the regional load balancers write their access logs to; several load balancers can
 * share it, each under its own prefix. Encrypted with S3-managed keys because load balancer log
 * delivery supports no other server-side encryption; retained when the stack goes, since the logs
 * are the record of who called the API.
 */
export class AccessLogBucket extends Construct {
  /** The bucket to pass to each load balancer. */
  public readonly bucket: IBucket;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps = {}) {
    super(scope, id);

    const expiration = props.expiration ?? Duration.days(90);
    if (!expiration.isUnresolved() && expiration.toDays({ integral: false }) < 1) {
      throw new Error(
        `AccessLogBucket: expiration must be at least 1 day, got ${expiration.toHumanString()}`,
      );
    }

    const bucket = new Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      lifecycleRules: [{ expiration, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'This bucket is itself the access-log destination: it holds only logs written by the load ' +
        'balancers, and server access logs of it would need yet another bucket for no added signal.',
    });
    this.bucket = bucket;
  }
}
