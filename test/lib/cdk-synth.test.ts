import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TIERS } from '../../lib/tiers.js';

/**
 * What a platform engineer runs, offline: the cdk CLI, cdk.json's app command and context, and
 * real bundling of every function by the local esbuild. No AWS credentials are visible to it.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'evalforge-cdk-out-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npx cdk synth', () => {
  it('synthesizes the largest tier offline, with cdk-nag and the CloudFormation rules passing', () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')),
    );
    const result = spawnSync('npx', ['cdk', 'synth', '-c', 'tier=4', '--quiet', '--no-notices', '-o', out], {
      cwd: ROOT,
      env: { ...env, AWS_EC2_METADATA_DISABLED: 'true' },
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const template = JSON.parse(readFileSync(join(out, 'EvalForge.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: { ShardCount?: number } }>;
    };
    const streams = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Kinesis::Stream');
    const tier4 = TIERS[4].stream;
    expect(streams.map((s) => s.Properties?.ShardCount)).toEqual([
      tier4.mode === 'provisioned' ? tier4.shardCount : undefined,
    ]);
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(4);
  }, 300_000);
});
