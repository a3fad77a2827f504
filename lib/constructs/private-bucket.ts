import { RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, BucketEncryption, type BucketProps, ObjectOwnership } from 'aws-cdk-lib/aws-s3';

/**
 * What every bucket of the stack is: no public access, TLS only, SSE-S3 (S3 server access logs
 * deliver only to SSE-S3 buckets, and the S3 disk's many small requests would each be a KMS
 * request), ACLs disabled, and retained when the stack goes (the data outlives a redeploy).
 * Each bucket adds its lifecycle, versioning and logging.
 */
export const PRIVATE_BUCKET = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  encryption: BucketEncryption.S3_MANAGED,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: RemovalPolicy.RETAIN,
} as const satisfies BucketProps;
