import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../../lib/app.js';
import { AccessLogBucket } from '../../../lib/constructs/access-log-bucket.js';
import { DashboardSite, dashboardContentSecurityPolicy } from '../../../lib/constructs/dashboard-site.js';
import { DENY_INSECURE_TRANSPORT } from '../../helpers/cdk.js';

const API = 'https://ingest.eu-west-1.example.com';
/** Concrete, as the EvalForge stack's: the CDK assets bucket is then named in the findings. */
const ENV = { account: '111111111111', region: 'eu-west-1' };

function build(options: { readonly nag?: boolean; readonly bundle?: boolean } = {}) {
  // cdk.json's flags: S3 server access logs are delivered by bucket policy, as the stack's are.
  const app = new App({
    context: { ...cdkJsonContext(), ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}) },
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Test', { env: ENV });
  const logs = new AccessLogBucket(stack, 'AccessLogs');
  const site = new DashboardSite(stack, 'Dashboard', { apiUrl: API, accessLogs: logs.bucket });
  return { app, stack, site, logs };
}

let built: ReturnType<typeof build>;
let template: Template;
beforeAll(() => {
  built = build();
  template = Template.fromStack(built.stack);
}, 60_000);

describe('DashboardSite', () => {
  it('keeps the files in a private, SSE-S3, TLS-only bucket, retained, logging to the access-log bucket', () => {
    const buckets = template.findResources('AWS::S3::Bucket', {
      Properties: { LoggingConfiguration: { LogFilePrefix: 'dashboard/' } },
    });
    expect(Object.keys(buckets)).toHaveLength(1);
    const [id, bucket] = Object.entries(buckets)[0] as [
      string,
      { Properties: Record<string, unknown>; DeletionPolicy: string },
    ];
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
    expect(bucket.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: { Statement: Match.arrayWith([DENY_INSECURE_TRANSPORT]) },
    });
  });

  it('lets only this distribution read the bucket, through Origin Access Control', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
    // Nobody else is allowed anything: the other statements of the bucket's policy deny.
    const [siteBucket] = Object.keys(
      template.findResources('AWS::S3::Bucket', {
        Properties: { LoggingConfiguration: { LogFilePrefix: 'dashboard/' } },
      }),
    );
    const [policy] = Object.values(
      template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: siteBucket } } }),
    );
    const allows = (
      (policy?.Properties.PolicyDocument.Statement ?? []) as { Effect: string; Principal: unknown }[]
    ).filter((st) => st.Effect === 'Allow');
    expect(allows.map((st) => st.Principal)).toEqual([{ Service: 'cloudfront.amazonaws.com' }]);
  });

  it('serves index.html at the root, HTTPS only (redirect), HTTP/2 and 3, price class 100', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        HttpVersion: 'http2and3',
        PriceClass: 'PriceClass_100',
        Enabled: true,
        Origins: [Match.objectLike({ OriginAccessControlId: { 'Fn::GetAtt': [Match.anyValue(), 'Id'] } })],
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD'],
          ResponseHeadersPolicyId: { Ref: Match.anyValue() },
        }),
      }),
    });
  });

  it('sends the security headers on every answer, its CSP naming the API as the one other origin', () => {
    expect(dashboardContentSecurityPolicy(API)).toBe(
      `default-src 'self'; connect-src 'self' ${API}; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'`,
    );
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          StrictTransportSecurity: {
            AccessControlMaxAgeSec: 31_536_000,
            IncludeSubdomains: true,
            Override: true,
          },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          ContentSecurityPolicy: {
            ContentSecurityPolicy: dashboardContentSecurityPolicy(API),
            Override: true,
          },
        },
      }),
    });
  });

  it('copies the built site and a config.json naming the API, then invalidates /*', () => {
    const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
    const p = deployment?.Properties as Record<string, unknown>;
    expect(p.SourceObjectKeys).toHaveLength(2);
    expect(p.DestinationBucketName).toEqual({ Ref: expect.stringMatching(/^DashboardBucket/) });
    expect(p.DistributionPaths).toEqual(['/*']);
    expect(p.DistributionId).toEqual({ Ref: expect.stringMatching(/^DashboardDistribution/) });
    expect(p.Prune).toBe(true);
    // Source.jsonData writes the file at synth: its name and content travel in the asset itself.
    const assets = readdirSync(built.app.outdir).filter((f) => f.startsWith('asset.'));
    const config = assets.map((a) => join(built.app.outdir, a, 'config.json')).find((f) => existsSync(f));
    expect(config, 'the config.json asset').toBeDefined();
    expect(JSON.parse(readFileSync(String(config), 'utf8'))).toEqual({ apiUrl: API });
  });

  it("bundles the site with the dashboard's own build: index.html and its module", () => {
    const assets = readdirSync(built.app.outdir).filter((f) => f.startsWith('asset.'));
    const site = assets.find((a) => existsSync(join(built.app.outdir, a, 'index.html')));
    expect(site, 'the bundled site asset').toBeDefined();
    expect(readdirSync(join(built.app.outdir, String(site)))).toEqual(
      expect.arrayContaining(['index.html', 'app.js']),
    );
  });

  it('outputs the dashboard URL, https on the distribution domain, which is also the allowed origin', () => {
    template.hasOutput('DashboardUrl', {
      Value: {
        'Fn::Join': [
          '',
          ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^DashboardDistribution'), 'DomainName'] }],
        ],
      },
    });
    expect(built.stack.resolve(built.site.origin)).toEqual({
      'Fn::Join': [
        '',
        ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^DashboardDistribution/), 'DomainName'] }],
      ],
    });
  });

  it('keeps the copying function logs a month', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^DashboardDeploymentLogs') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('DashboardSite and cdk-nag', () => {
  it('has no unacknowledged AwsSolutions findings, the copying function at the stack root included', () => {
    const { app } = build({ nag: true, bundle: false });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails a stack with an unacknowledged finding (the check above can fail)', () => {
    const { app, stack } = build({ nag: true, bundle: false });
    new Bucket(stack, 'Unlogged', { enforceSSL: true });
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});
