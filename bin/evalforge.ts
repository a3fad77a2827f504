import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { tierCost } from '../lib/pricing/tier-cost.js';
import { EvalForgeStack } from '../lib/stacks/evalforge-stack.js';
import { tierById } from '../lib/tiers.js';

/**
 * The CDK app, and the only place that reads context and the environment:
 *   npx cdk synth  -c tier=N [-c domain=example.com -c hostedZoneId=Z…]
 *   npx cdk deploy -c tier=N  -c domain=<your zone>  -c hostedZoneId=<its id>  -c budgetEmail=<you>
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
  const cost = options.costEstimate ? tierCost({ tier: tier.id }) : undefined;
  const stack = new EvalForgeStack(app, 'EvalForge', {
    tier,
    domainName: context('domain'),
    hostedZoneId: context('hostedZoneId'),
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  buildApp(app, { costEstimate: true });
  app.synth();
}
