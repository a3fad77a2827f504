import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseModelPrices } from '../functions/shared/model-prices.js';
import type { TemplateJson } from './pricing/inventory.js';
import { tierCost } from './pricing/tier-cost.js';
import { EvalForgeStack } from './stacks/evalforge-stack.js';
import { type TierId, tierById } from './tiers.js';

/**
 * The CDK app's composition, and the only place that reads context and the environment
 * (bin/evalforge.ts runs it):
 *   npx cdk synth  -c tier=N [-c domain=example.com -c hostedZoneId=Z…]
 *   npx cdk deploy -c tier=N  -c domain=<your zone>  -c hostedZoneId=<its id>  -c budgetEmail=<you>
 *                  [-c alarmEmail=<on call>]
 * Without credentials, synth uses the account and region below, whose availability zones are
 * recorded in cdk.context.json, so it works offline.
 */
export const SYNTH_DEFAULTS = {
  tier: '1',
  domain: 'example.com',
  hostedZoneId: 'Z0000000000EXAMPLE',
  account: '111111111111',
  region: 'us-east-1',
  /** Where the budget's alerts go: set your own at deploy (`-c budgetEmail=…`). */
  budgetEmail: 'finops@example.com',
} as const;

/**
 * Builds the stack for the context's tier. With `costEstimate`, the tier's own template is first
 * synthesized and priced (lib/pricing), and the figures become the stack's cost outputs and its
 * budget; the pricing synthesis builds without them, as they add nothing billable.
 */
export function buildApp(app: App, options: { readonly costEstimate?: boolean } = {}): EvalForgeStack {
  const context = (name: keyof typeof SYNTH_DEFAULTS): string => {
    const value: unknown = app.node.tryGetContext(name);
    if (value === undefined) return SYNTH_DEFAULTS[name];
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new Error(`context ${name} must be a string (-c ${name}=…), got ${JSON.stringify(value)}`);
    }
    return String(value);
  };
  const tier = tierById(context('tier'));
  // No default: without it the alarm topic has no subscription (docs/operations.md).
  const alarmEmail: unknown = app.node.tryGetContext('alarmEmail');
  if (alarmEmail !== undefined && typeof alarmEmail !== 'string') {
    throw new Error(
      `context alarmEmail must be an e-mail address (-c alarmEmail=…), got ${JSON.stringify(alarmEmail)}`,
    );
  }
  // Checked here, so that a bad table fails the synth by name rather than the first OTLP request.
  const modelPrices: unknown = app.node.tryGetContext('modelPrices');
  if (modelPrices !== undefined) {
    if (typeof modelPrices !== 'string') {
      throw new Error(
        `context modelPrices must be JSON text (-c modelPrices='{"my-model":{"inputUsdPerMTok":1,"outputUsdPerMTok":2}}'), got ${JSON.stringify(modelPrices)}`,
      );
    }
    parseModelPrices(modelPrices, 'context modelPrices');
  }
  // Priced from the template of this very app (its context: tier, account, region…), built once
  // more without the cost outputs and budget, which add nothing billable.
  const cost = options.costEstimate
    ? tierCost({
        tier: tier.id,
        template: synthesizeTierTemplate(tier.id, {
          domain: context('domain'),
          hostedZoneId: context('hostedZoneId'),
          account: context('account'),
          region: context('region'),
        }),
      })
    : undefined;
  const stack = new EvalForgeStack(app, 'EvalForge', {
    tier,
    domainName: context('domain'),
    hostedZoneId: context('hostedZoneId'),
    alarmEmail,
    ...(typeof modelPrices === 'string' ? { modelPrices } : {}),
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT ?? context('account'),
      region: process.env.CDK_DEFAULT_REGION ?? context('region'),
    },
    description: 'EvalForge: LLM observability event platform (ingest, archive, ClickHouse)',
    costEstimate: cost && {
      byComponentUsd: cost.byComponent,
      totalUsd: cost.total,
      budgetEmail: context('budgetEmail'),
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}

/** cdk.json's context: feature flags and rules, as the cdk CLI passes them. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * A tier's template as `cdk synth -c tier=N` writes it, with construct paths (the pricing
 * inventory groups resources by them) and without bundling the functions: for pricing and tests.
 */
export function synthesizeTierTemplate(
  tier: TierId,
  context: Readonly<Record<string, unknown>> = {},
): TemplateJson {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      ...context,
      tier: String(tier),
      'aws:cdk:bundling-stacks': [],
      'aws:cdk:enable-path-metadata': true,
    },
  });
  const stack = buildApp(app);
  return app.synth().getStackByName(stack.stackName).template as TemplateJson;
}
