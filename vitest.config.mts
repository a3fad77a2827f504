import { defineConfig } from 'vitest/config';

/**
 * `npm test` runs every project; `npm run test:unit` only the first, the inner loop.
 *   unit         pure cores, tables, in-process adapters: no engine, no synthesis, no emulators
 *   engine       the embedded ClickHouse (chDB) behind @clickhouse/client
 *   synth        CDK constructs, stacks and the priced tier templates (cdk-nag included)
 *   integration  the local runtime: emulated Kinesis and S3, servers on loopback, child processes
 * A file belongs to the first project whose globs name it; the rest is unit.
 */
const ENGINE = [
  'test/clickhouse/**/*.test.ts',
  'test/functions/load/**/*.test.ts',
  'test/functions/query/**/*.test.ts',
  'test/functions/health/engine.test.ts',
  // The replay job's and the redrive's tests load through the embedded engine.
  'test/functions/replay/handler.test.ts',
  'test/functions/replay/redrive.test.ts',
  'test/functions/replay/replay-engine.test.ts',
  'test/local/dead-letters-redrive-cli.test.ts',
  'test/bench/dashboard.test.ts',
  'test/bench/benchmark-figures.test.ts',
  'test/bench/storage.test.ts',
];
const SYNTH = [
  'test/lib/constructs/**/*.test.ts',
  'test/lib/stacks/**/*.test.ts',
  'test/lib/cdk-synth.test.ts',
  'test/lib/docs-drift.test.ts',
  'test/lib/pricing/inventory.test.ts',
  'test/lib/pricing/tier-cost.test.ts',
  'test/lib/pricing/cost-cli.test.ts',
];
const INTEGRATION = [
  'test/integration/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/local/demo.test.ts',
  'test/local/dead-letters-cli.test.ts',
  'test/local/event-source.test.ts',
  'test/local/firehose.test.ts',
  'test/load-tests/runner.test.ts',
  'test/cli/typescript-process.test.ts',
];

export default defineConfig({
  test: {
    // Integration tests start real servers on loopback; two workers match the machine's two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The Lambda handlers print CloudWatch metrics and JSON logs to stdout; tests that look at
    // them turn them back on.
    env: { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          isolate: false,
          setupFiles: ['test/setup/fresh-modules.ts'],
          include: ['test/**/*.test.ts'],
          exclude: [...ENGINE, ...SYNTH, ...INTEGRATION],
          // A unit test that needs more than this is not one: it shows instead of slowing the loop.
          testTimeout: 5_000,
          hookTimeout: 10_000,
        },
      },
      { extends: true, test: { name: 'engine', include: ENGINE } },
      {
        extends: true,
        test: {
          name: 'synth',
          include: SYNTH,
          globalSetup: ['test/setup/tier-templates-dir.ts'],
          // aws-cdk-lib takes seconds to load: once per worker, as in the unit project.
          isolate: false,
          setupFiles: ['test/setup/fresh-modules.ts'],
        },
      },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
    ],
  },
});
