import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseModelPrices } from '../functions/shared/model-prices.js';
import type { TemplateJson } from './pricing/inventory.js';
import { multiRegionCost, type RegionalTemplate } from './pricing/multi-region-cost.js';
import { tierCost } from './pricing/tier-cost.js';
import { EvalForgeStack, type EvalForgeStackProps } from './stacks/evalforge-stack.js';
import { GlobalRoutingStack } from './stacks/global-routing-stack.js';
import { GLOBAL_STACK_NAME, regionalStackName } from './stacks/regional-names.js';
import { type TierId, type TierSpec, tierById } from './tiers.js';

/**
 * The CDK app's composition, and the only place that reads context and the environment
 * (bin/evalforge.ts runs it):
 *   npx cdk synth  -c tier=N [-c domain=example.com -c hostedZoneId=Z…]
 *   npx cdk deploy -c tier=N  -c domain=<your zone>  -c hostedZoneId=<its id>  -c budgetEmail=<you>
 *                  [-c alarmEmail=<on call>]
 * Without credentials, synth uses the account and region below, whose availability zones are
 * recorded in cdk.context.json, so it works offline.
 *
 * A tier of several regions (tier 4) deploys one stack per region of its list, the primary keeping
 * the name `EvalForge` (a move from tier 3 updates it in place) and the others `EvalForge-<region>`,
 * plus `EvalForge-Global` (the latency records): `npx cdk deploy --all -c tier=4 …`.
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

/** The stacks of a tier: one per region, the primary first, and the global one in a multi-region tier. */
export interface TierStacks {
  /** The primary region's stack, `EvalForge`. */
  readonly primary: EvalForgeStack;
  /** Every region's stack, the primary first. */
  readonly regional: readonly EvalForgeStack[];
  /** `EvalForge-Global`: absent in a single-region tier. */
  readonly global?: GlobalRoutingStack;
}

/**
 * Builds the primary region's stack for the context's tier and returns it (the others of a
 * multi-region tier too: `buildTierStacks`).
 */
export function buildApp(app: App, options: { readonly costEstimate?: boolean } = {}): EvalForgeStack {
  return buildTierStacks(app, options).primary;
}

/**
 * Builds the stacks for the context's tier. With `costEstimate`, the tier's own templates are first
 * synthesized and priced (lib/pricing), and the figures become the primary stack's cost outputs and
 * its budget (for the whole tier, all regions included: budgets are global); the pricing synthesis
 * builds without them, as they add nothing billable.
 */
export function buildTierStacks(app: App, options: { readonly costEstimate?: boolean } = {}): TierStacks {
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
  // Priced from the templates of this very app (its context: tier, account, region…), built once
  // more without the cost outputs and budget, which add nothing billable.
  const estimate = options.costEstimate ? estimateCost(tier, context) : undefined;
  const account = process.env.CDK_DEFAULT_ACCOUNT ?? context('account');
  const common = {
    tier,
    domainName: context('domain'),
    hostedZoneId: context('hostedZoneId'),
    alarmEmail,
    ...(typeof modelPrices === 'string' ? { modelPrices } : {}),
    description: 'EvalForge: LLM observability event platform (ingest, archive, ClickHouse)',
  } satisfies Partial<EvalForgeStackProps>;
  const costEstimate = estimate && {
    byComponentUsd: estimate.byComponent,
    totalUsd: estimate.total,
    budgetEmail: context('budgetEmail'),
  };
  let stacks: TierStacks;
  if (tier.crossRegion === undefined) {
    const primary = new EvalForgeStack(app, 'EvalForge', {
      ...common,
      env: { account, region: process.env.CDK_DEFAULT_REGION ?? context('region') },
      costEstimate,
    });
    stacks = { primary, regional: [primary] };
  } else {
    const [primaryRegion = '', ...others] = tier.regions;
    // The primary is created first: the others read its key table's replicas and forward to its
    // stream, by cross-region references (SSM parameters CDK writes into their regions).
    const primary = new EvalForgeStack(app, regionalStackName(primaryRegion, primaryRegion), {
      ...common,
      env: { account, region: primaryRegion },
      crossRegionReferences: true,
      placement: { region: primaryRegion, account, regions: tier.regions },
      // The whole tier's estimate and budget live with the primary region.
      costEstimate,
    });
    const regional = [
      primary,
      ...others.map(
        (region) =>
          new EvalForgeStack(app, regionalStackName(region, primaryRegion), {
            ...common,
            env: { account, region },
            crossRegionReferences: true,
            placement: {
              region,
              account,
              regions: tier.regions,
              primary: { keyTableName: primary.keyTableName, eventStreamArn: primary.eventStreamArn },
            },
          }),
      ),
    ];
    const global = new GlobalRoutingStack(app, GLOBAL_STACK_NAME, {
      tier,
      domainName: context('domain'),
      hostedZoneId: context('hostedZoneId'),
      env: { account, region: primaryRegion },
      description: 'EvalForge: the global ingest endpoint, latency-routed to the healthy regions',
    });
    // Its health checks probe the regional endpoints: deployed after them.
    for (const stack of regional) global.addStackDependency(stack);
    stacks = { primary, regional, global };
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stacks;
}

/** A tier's month-1 estimate at its ceiling, by component and in total, from its own templates. */
function estimateCost(
  tier: TierSpec,
  context: (name: keyof typeof SYNTH_DEFAULTS) => string,
): { byComponent: Record<string, number>; total: number } {
  const synthContext = {
    domain: context('domain'),
    hostedZoneId: context('hostedZoneId'),
    account: context('account'),
    region: context('region'),
  };
  const templates = synthesizeTierTemplates(tier.id, synthContext);
  if (templates.global === undefined) {
    const [only] = templates.regional;
    if (only === undefined) throw new Error(`tier ${tier.id} synthesized no stack`);
    return tierCost({ tier: tier.id, template: only.template });
  }
  return multiRegionCost({ tier: tier.id, regional: templates.regional, global: templates.global });
}

/** cdk.json's context: feature flags and rules, as the cdk CLI passes them. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** Every stack's template of a tier, as `cdk synth -c tier=N` writes them. */
export interface TierTemplates {
  /** One per region, the primary first. */
  readonly regional: readonly RegionalTemplate[];
  /** `EvalForge-Global`'s: absent in a single-region tier. */
  readonly global?: TemplateJson;
}

/**
 * A tier's templates as `cdk synth -c tier=N` writes them, with construct paths (the pricing
 * inventory groups resources by them) and without bundling the functions: for pricing and tests.
 * cdk-nag and the CloudFormation rules run and fail the synthesis.
 */
export function synthesizeTierTemplates(
  tier: TierId,
  context: Readonly<Record<string, unknown>> = {},
): TierTemplates {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      ...context,
      tier: String(tier),
      'aws:cdk:bundling-stacks': [],
      'aws:cdk:enable-path-metadata': true,
    },
  });
  const stacks = buildTierStacks(app);
  const assembly = app.synth();
  const templateOf = (name: string) => assembly.getStackByName(name).template as TemplateJson;
  return {
    regional: stacks.regional.map((stack) => ({
      region: stack.region,
      stackName: stack.stackName,
      template: templateOf(stack.stackName),
    })),
    ...(stacks.global ? { global: templateOf(stacks.global.stackName) } : {}),
  };
}

/**
 * A tier's template as `cdk synth -c tier=N` writes it: the primary region's stack (`EvalForge`),
 * the tier's only one below tier 4. For pricing and tests.
 */
export function synthesizeTierTemplate(
  tier: TierId,
  context: Readonly<Record<string, unknown>> = {},
): TemplateJson {
  const [primary] = synthesizeTierTemplates(tier, context).regional;
  if (primary === undefined) throw new Error(`tier ${tier} synthesized no stack`);
  return primary.template;
}
