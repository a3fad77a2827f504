import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIERS } from '../../lib/tiers.js';
import { pretenuringDecisions } from '../helpers/pretenuring.js';

/**
 * What a platform engineer runs, offline: the cdk CLI, cdk.json's app command and context, and
 * real bundling of every function by the local esbuild. No AWS credentials are visible to it.
 * Then what deploys is tried as Lambda runs it: each bundle, alone in a plain Node process (no
 * TypeScript, no node_modules beside it), has its `handler` called with an event and a context.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'evalforge-cdk-out-'));
const FIXTURES = new URL('../fixtures/', import.meta.url);

interface Template {
  Resources: Record<
    string,
    { Type: string; Properties?: { ShardCount?: number; Code?: { S3Key?: string }; Handler?: string } }
  >;
}
let synth: SpawnSyncReturns<string>;
let template: Template;

beforeAll(() => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')),
  );
  synth = spawnSync('npx', ['cdk', 'synth', '-c', 'tier=4', '--quiet', '--no-notices', '-o', out], {
    cwd: ROOT,
    env: { ...env, AWS_EC2_METADATA_DISABLED: 'true' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (synth.status === 0) {
    template = JSON.parse(readFileSync(join(out, 'EvalForge.template.json'), 'utf8')) as Template;
  }
}, 300_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npx cdk synth', () => {
  it('synthesizes the largest tier offline, with cdk-nag and the CloudFormation rules passing', () => {
    expect(synth.status, `${synth.stdout}\n${synth.stderr}`).toBe(0);
    // Tier 4 runs in three regions: a stack in each, and the global routing stack.
    for (const stack of [
      'EvalForge',
      'EvalForge-eu-west-1',
      'EvalForge-ap-southeast-1',
      'EvalForge-Global',
    ]) {
      expect(existsSync(join(out, `${stack}.template.json`)), stack).toBe(true);
    }
    const streams = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Kinesis::Stream');
    const tier4 = TIERS[4].stream;
    // The event stream, and the on-demand transit stream of events for other home regions.
    expect(streams.map((s) => s.Properties?.ShardCount)).toEqual([
      tier4.mode === 'provisioned' ? tier4.shardCount : undefined,
      undefined,
    ]);
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(4);
  });
});

describe('the web dashboard', () => {
  it("bundles the site with the dashboard's own build: the asset its deployment copies holds the page and its module", () => {
    const [deployment] = Object.values(template.Resources).filter(
      (r) => r.Type === 'Custom::CDKBucketDeployment',
    );
    const keys =
      (deployment?.Properties as { SourceObjectKeys?: unknown[] } | undefined)?.SourceObjectKeys ?? [];
    const sites = keys
      .filter((key): key is string => typeof key === 'string')
      .map((key) => join(out, `asset.${key.replace(/\.zip$/, '')}`))
      .filter((dir) => existsSync(join(dir, 'index.html')));
    expect(sites).toHaveLength(1);
    expect(readdirSync(String(sites[0]))).toEqual(
      expect.arrayContaining(['index.html', 'app.js', 'app.css']),
    );
  });
});

/** The bundle of the function whose logical ID starts with `prefix`, as the asset cdk synth wrote. */
function bundleOf(prefix: string): string {
  const [, fn] =
    Object.entries(template.Resources).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix),
    ) ?? [];
  const key = fn?.Properties?.Code?.S3Key;
  expect(key, `${prefix}'s code asset`).toBeDefined();
  expect(fn?.Properties?.Handler).toBe('index.handler');
  return join(out, `asset.${String(key).replace(/\.zip$/, '')}`, 'index.mjs');
}

/**
 * Calls the bundle's handler once, in a Node process of its own with only `env` (and PATH), the
 * way the Lambda runtime does: `handler(event, context)`. Returns what it resolved to, or the
 * message it rejected with.
 */
function invoke(
  bundle: string,
  event: unknown,
  env: Record<string, string>,
): { result?: unknown; error?: string } {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const context = {
      functionName: 'bundle-test', functionVersion: '$LATEST', memoryLimitInMB: '1024',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:bundle-test',
      awsRequestId: '00000000-0000-4000-8000-000000000000', getRemainingTimeInMillis: () => 30000,
    };
    const event = JSON.parse(process.env.BUNDLE_TEST_EVENT);
    let outcome;
    try { outcome = { result: await handler(event, context) }; }
    catch (error) { outcome = { error: String(error?.message ?? error) }; }
    process.stdout.write('\\nBUNDLE_TEST_OUTCOME ' + JSON.stringify(outcome) + '\\n');
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: tmpdir(),
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDBUNDLETEST',
      AWS_SECRET_ACCESS_KEY: 'bundle-test',
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_METRICS_NAMESPACE: 'EvalForge',
      BUNDLE_TEST_EVENT: JSON.stringify(event),
      ...env,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const line = run.stdout.split('\n').find((l) => l.startsWith('BUNDLE_TEST_OUTCOME '));
  expect(line, `no outcome from ${bundle}:\n${run.stdout}\n${run.stderr}`).toBeDefined();
  return JSON.parse(String(line).slice('BUNDLE_TEST_OUTCOME '.length)) as {
    result?: unknown;
    error?: string;
  };
}

const fixture = (path: string) =>
  JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')) as Record<string, unknown>;

describe('each bundled function, called as Lambda calls it', () => {
  it('the validator answers the health check, and refuses events without a key by name', () => {
    const bundle = bundleOf('ValidatorFunction');
    const env = { EVENT_STREAM_NAME: 'evalforge-events', API_KEYS_TABLE_NAME: 'evalforge-keys' };
    expect(invoke(bundle, fixture('alb/get-health.json'), env).result).toMatchObject({ statusCode: 200 });
    const post = fixture('alb/post-events-json.json');
    const headers = { ...(post.headers as Record<string, string>) };
    delete headers.authorization;
    const refused = invoke(bundle, { ...post, headers }, env).result as { statusCode: number; body: string };
    expect(refused.statusCode).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: expect.any(String) } });
  });

  it.each(['ValidatorFunction', 'LoaderFunction', 'ReplayFunction'])(
    '%s sets its V8 heap tuning as its bundle loads: V8 judges no allocation site after',
    (prefix) => {
      const bundle = bundleOf(prefix);
      const decisions = pretenuringDecisions(`await import(${JSON.stringify(pathToFileURL(bundle).href)});`, {
        cwd: tmpdir(),
        env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' },
      });
      expect(decisions).toEqual([]);
    },
  );

  it('the query function answers 503 with Retry-After when its environment is incomplete', () => {
    const answer = invoke(bundleOf('QueryFunction'), fixture('alb/get-query-metrics.json'), {
      API_KEYS_TABLE_NAME: 'evalforge-keys',
    }).result as { statusCode: number; headers?: Record<string, string> };
    expect(answer.statusCode).toBe(503);
    expect(answer.headers?.['retry-after']).toMatch(/^\d+$/);
  });

  it('the loader fails an invocation by the variable it lacks, so the event source retries it', () => {
    const outcome = invoke(bundleOf('LoaderFunction'), fixture('kinesis/stream-event.json'), {});
    expect(outcome.error).toMatch(/^loader environment is invalid: .*CLICKHOUSE_URL/);
  });

  it('the replay function plans a range at its default rate cap, and fails a bad input by name', () => {
    const bundle = bundleOf('ReplayFunction');
    const env = { ARCHIVE_BUCKET_NAME: 'evalforge-archive', REPLAY_DEFAULT_MAX_CONCURRENCY: '17' };
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
    const from = new Date(hour).toISOString();
    const to = new Date(hour + 3_600_000).toISOString();
    const plan = invoke(bundle, { action: 'plan', from, to }, env).result as Record<string, unknown>;
    expect(plan).toMatchObject({ from, to, project: null, maxConcurrency: 17 });
    expect(plan.prefixes).toHaveLength(2);
    const refused = invoke(bundle, { action: 'plan', from: to, to: from }, env);
    expect(refused.error).toMatch(/^replay input is invalid: from must be before to/);
  });

  it('the migration function answers a Delete with its resource, touching no node', () => {
    const create = fixture('cloudformation/migrations-create.json');
    const outcome = invoke(
      bundleOf('ClickHouseMigrationFunction'),
      { ...create, RequestType: 'Delete', PhysicalResourceId: 'clickhouse-migrations' },
      {},
    );
    expect(outcome).toEqual({ result: { PhysicalResourceId: 'clickhouse-migrations' } });
  });

  it('the ClickHouse health function fails a scheduled run by the variable it lacks', () => {
    const scheduled = {
      version: '0',
      id: '00000000-0000-4000-8000-000000000001',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '111111111111',
      time: '2026-12-02T00:00:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:111111111111:rule/health'],
      detail: {},
    };
    const outcome = invoke(bundleOf('ClickHouseHealthFunction'), scheduled, {});
    expect(outcome.error).toMatch(/^clickhouse-health environment is invalid: .*CLICKHOUSE_NODE_URLS/);
  });

  it('the certificates function answers a Delete, and on a Create reaches for Secrets Manager', () => {
    const bundle = bundleOf('ClickHouseCertificateFunction');
    const create = fixture('cloudformation/certificates-create.json');
    expect(
      invoke(bundle, { ...create, RequestType: 'Delete', PhysicalResourceId: 'clickhouse-certificates' }, {}),
    ).toEqual({ result: { PhysicalResourceId: 'clickhouse-certificates' } });
    // Nothing listens there: the properties pass, and the first call (the CA key secret) is refused.
    const outcome = invoke(bundle, create, { AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9' });
    expect(outcome.error).toMatch(/ECONNREFUSED/);
  });
});
