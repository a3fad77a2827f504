import { CfnOutput, DockerImage, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, type IConstruct } from 'constructs';
import { buildDashboardSync, DASHBOARD_DIR } from '../../dashboard/build.js';
import { PRIVATE_BUCKET } from './private-bucket.js';

export interface DashboardSiteProps {
  /**
   * The origin of the query API the dashboard calls, `https://<name>` without a path: written to
   * the site's `config.json` as `apiUrl`, and the only origin its Content-Security-Policy lets
   * scripts connect to besides the site itself.
   */
  readonly apiUrl: string;
  /**
   * Where the assets bucket's S3 server access logs go: an SSE-S3 bucket with ACLs disabled, so the
   * app must have `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` on (cdk.json does).
   */
  readonly accessLogs: IBucket;
  /**
   * The key prefix of those logs in `accessLogs`.
   *
   * @default 'dashboard/'
   */
  readonly accessLogPrefix?: string;
}

/** The Content-Security-Policy of every answer: the site's own files, and the API as the one other origin. */
export function dashboardContentSecurityPolicy(apiUrl: string): string {
  return [
    "default-src 'self'",
    `connect-src 'self' ${apiUrl}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The web dashboard: its static files (built by `dashboard/build.ts` at synth, with a
 * `config.json` naming the API) in a private bucket, served by CloudFront over HTTPS through
 * Origin Access Control, with security headers on every answer. Each deploy copies the files and
 * invalidates the distribution's cache. The dashboard reads data from the regional query API,
 * whose CORS answers name this site's origin ({@link DashboardSite.origin}) alone.
 */
export class DashboardSite extends Construct {
  /** The private bucket the files live in. */
  readonly bucket: Bucket;
  /** The CloudFront distribution in front of it. */
  readonly distribution: Distribution;
  /** `https://<distribution domain>`: the dashboard's address, and the one origin the API's CORS allows. */
  readonly origin: string;
  /**
   * The function that copies the files at deploy time: CDK's singleton at the stack's root, outside
   * this construct, for the stack to tag with the same component.
   */
  readonly deploymentFunction: IConstruct;

  constructor(scope: Construct, id: string, props: DashboardSiteProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      versioned: false,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: props.accessLogPrefix ?? 'dashboard/',
    });

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'EvalForge dashboard: HSTS, CSP limited to the site and its API, no framing, no sniffing',
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        contentSecurityPolicy: {
          contentSecurityPolicy: dashboardContentSecurityPolicy(props.apiUrl),
          override: true,
        },
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'EvalForge dashboard',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableIpv6: true,
    });
    const findings = Validations.of(this.distribution);
    findings.acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-CFR1',
        reason:
          'The dashboard is for operators wherever they are; it holds no data itself (every figure comes from the API, behind an API key), so no country is refused.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-CFR2',
        reason:
          'Static files only, the same for everyone; the API they call has its own web ACL on the regional load balancers. A CloudFront web ACL would have to live in us-east-1, outside this regional stack, and would guard nothing secret.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-CFR3',
        reason:
          "CloudFront's standard logs need a log bucket with ACLs enabled, which every bucket of this stack disables; the site serves the same public files to all, and every data request is logged by the API's load balancers. The assets bucket's S3 server access logs record what CloudFront fetches.",
      },
      {
        id: 'AwsSolutions::AwsSolutions-CFR4',
        reason:
          "The distribution answers on its default *.cloudfront.net name, whose certificate is CloudFront's own: its minimum protocol version cannot be set (only with a custom certificate). Viewers are redirected to HTTPS.",
      },
    );

    // The built site, an asset of its own so that its bucket can be named in the findings below.
    const site = new Asset(this, 'Site', {
      path: DASHBOARD_DIR,
      bundling: {
        // Never pulled: the local build either writes the site or throws.
        image: DockerImage.fromRegistry('none'),
        local: {
          tryBundle(outputDir: string): boolean {
            buildDashboardSync(outputDir);
            return true;
          },
        },
      },
    });
    // Deploy-time logs of the copy, kept like the functions' logs.
    const deploymentLogs = new LogGroup(this, 'DeploymentLogs', { retention: RetentionDays.ONE_MONTH });
    const deployment = new BucketDeployment(this, 'Deployment', {
      destinationBucket: this.bucket,
      sources: [
        Source.bucket(site.bucket, site.s3ObjectKey),
        Source.jsonData('config.json', { apiUrl: props.apiUrl }),
      ],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      logGroup: deploymentLogs,
    });
    this.deploymentFunction = deployment.handlerRole.node.scope as IConstruct;
    this.acknowledgeDeploymentFindings(site);

    this.origin = `https://${this.distribution.distributionDomainName}`;
    new CfnOutput(this, 'Url', {
      key: 'DashboardUrl',
      value: this.origin,
      description:
        'The web dashboard (sign in with an API key of the project; kept for the browser session only)',
    });
  }

  /**
   * What cdk-nag finds in the function CDK's BucketDeployment brings: a singleton at the stack's
   * root (its role is the way to it), with the grants and runtime aws-cdk-lib chooses.
   */
  private acknowledgeDeploymentFindings(site: Asset): void {
    // The objects of both buckets, written as cdk-nag names a resource in a finding.
    const objectsOf = (bucket: IBucket) => nagResource(Stack.of(this).resolve(bucket.arnForObjects('*')));
    const findings = Validations.of(this.deploymentFunction);
    findings.acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "Lambda's own minimal execution policy (CloudWatch Logs writes), on the function that copies the dashboard's files at deploy time.",
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:GetObject*]',
        reason:
          "BucketDeployment's read grant (s3:GetObject* and kin) on the build's asset object and the dashboard bucket.",
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:GetBucket*]',
        reason: "BucketDeployment's read grant (s3:GetBucket*) on the asset bucket and the dashboard bucket.",
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:List*]',
        reason: 'BucketDeployment lists the dashboard bucket to remove the files a new build no longer has.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:DeleteObject*]',
        reason: 'BucketDeployment deletes the files of an earlier build that the new one no longer has.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:Abort*]',
        reason: 'BucketDeployment aborts its own interrupted multipart uploads to the dashboard bucket.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${objectsOf(this.bucket)}]`,
        reason: 'A build writes any file name: every object of the dashboard bucket, and of no other bucket.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudfront:CreateInvalidation and cloudfront:GetInvalidation, granted by BucketDeployment on * to invalidate the distribution after a copy.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-L1',
        reason:
          "aws-cdk-lib chooses the runtime of BucketDeployment's function (Python, with its AWS CLI layer) and offers no setting for it; it moves with aws-cdk-lib.",
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${objectsOf(site.bucket)}]`,
        reason:
          "BucketDeployment reads the built site's asset object from the CDK assets bucket; its grant is on that bucket's objects.",
      },
    );
  }
}

/**
 * A resolved ARN as cdk-nag writes it in a finding's id: a `Ref` as `<Name>`, a `Fn::GetAtt` as
 * `<Resource.Attribute>`, joined.
 */
function nagResource(value: unknown): string {
  if (typeof value === 'string') return value;
  const o = value as Record<string, unknown>;
  if (typeof o.Ref === 'string') return `<${o.Ref}>`;
  const getAtt = o['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
  const join = o['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    return (join[1] as unknown[]).map(nagResource).join(join[0]);
  }
  return JSON.stringify(value);
}
