import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { Bucket, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PRIVATE_BUCKET } from '../private-bucket.js';

/** The prefix every node's S3 disk writes under; each node has its own below it. */
export const COLD_PREFIX = 'clickhouse/';

/**
 * The bucket behind the data nodes' S3 disk (storage-config.ts): parts the tables' TTLs move off
 * the gp3 volumes (`TO VOLUME 'cold'`) live here, under `clickhouse/<node>/`, and ClickHouse
 * deletes their objects when it drops or merges the parts.
 *
 * - SSE-S3, not KMS: ClickHouse makes many small requests (a part is several objects, a cached
 *   read is ranged GETs), and each would also be a KMS request to pay for and to grant.
 * - No versioning: ClickHouse deletes the objects of parts it drops or merges away; with
 *   versioning each delete would leave a noncurrent version that keeps being billed, and nothing
 *   ever reads one (a part's metadata on the node names current objects only).
 * - Retained with the stack, like the data volumes: the volumes' metadata files name the objects
 *   here, and the two together are the cold data.
 * - Incomplete multipart uploads (a large part's upload interrupted by a restart) are aborted
 *   after a day; ClickHouse never resumes them.
 */
export class ColdStorage extends Construct {
  /** The bucket. */
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      versioned: false,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        "Only the ClickHouse data nodes' role reaches this bucket, with requests at the rate of their merges and cold reads (many a second per node); server access logs would record that traffic object by object at a cost near the storage's own, and CloudTrail already records the role's use. Enable S3 data events in CloudTrail for an audit.",
    });
  }

  /** `https://<bucket regional domain>/clickhouse/<node>/`: a node's own prefix, for its S3 disk's endpoint. */
  endpoint(nodeName: string): string {
    return `https://${this.bucket.bucketRegionalDomainName}/${COLD_PREFIX}${nodeName}/`;
  }

  /**
   * Lets `role` read, write, delete and list objects under {@link COLD_PREFIX}: what the S3
   * disk does with its parts (it also writes and deletes an access-check object at start). The
   * nodes share one role, so the grant is the common prefix, not each node's own.
   */
  grantNodes(role: IRole): void {
    const objects = `${COLD_PREFIX}*`;
    this.bucket.grantRead(role, objects);
    this.bucket.grantPut(role, objects);
    this.bucket.grantDelete(role, objects);
    const bucketId: string = Stack.of(this).resolve(
      Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket),
    );
    const why = `ClickHouse's S3 disk reads, writes (multipart for large parts), deletes and lists the objects of its parts under ${COLD_PREFIX}; CDK's S3 grants name these actions with wildcards, and the prefix is the resource`;
    for (const [finding, detail] of [
      ['Action::s3:GetObject*', 'GetObject'],
      ['Action::s3:GetBucket*', 'GetBucketLocation'],
      ['Action::s3:List*', 'ListBucket under the prefix'],
      ['Action::s3:Abort*', 'AbortMultipartUpload'],
      ['Action::s3:DeleteObject*', 'DeleteObject, for dropped and merged parts'],
      [`Resource::<${bucketId}.Arn>/${objects}`, 'object keys are chosen by ClickHouse'],
    ] as const) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`,
        reason: `${why} (${detail}).`,
      });
    }
  }
}
