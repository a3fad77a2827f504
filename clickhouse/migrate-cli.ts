import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClickHouseClient } from '../functions/shared/clickhouse/client.js';
import { migrate, type Topology } from './migrate.js';

/**
 * `npm run migrate`: applies the migrations to the embedded engine under the data directory
 * (default), or to a server or cluster at a URL. A deployed cluster answers plain HTTP on 8123
 * inside its VPC only: forward a node's port over Session Manager and name the admin user:
 *   npm run migrate -- [--path .evalforge/clickhouse]
 *   npm run migrate -- --url http://localhost:8123 --user evalforge_admin [--cluster evalforge]   (password: CLICKHOUSE_PASSWORD)
 */
const USAGE =
  'usage: npm run migrate -- [--path <dir>] | --url <http://host:8123> [--user <name>] [--cluster <name>]';

async function main(): Promise<number> {
  let values: { path?: string; url?: string; user?: string; cluster?: string };
  try {
    ({ values } = parseArgs({
      options: {
        path: { type: 'string' },
        url: { type: 'string' },
        user: { type: 'string' },
        cluster: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.path && values.url) {
    console.error(`give --path or --url, not both\n${USAGE}`);
    return 2;
  }
  if (values.cluster && !values.url) {
    console.error(`--cluster needs --url: an embedded engine is a single node\n${USAGE}`);
    return 2;
  }
  const topology: Topology = values.cluster
    ? { kind: 'cluster', cluster: values.cluster }
    : { kind: 'single' };
  const path = values.path ?? `${process.env.EVALFORGE_DATA_DIR ?? '.evalforge'}/clickhouse`;
  // `npm start` writes its storage configuration beside the engine's directory: its tables are on
  // the tiered policy, whose cold volume is on the local S3 API, and the engine cannot open them
  // without both. `npm start` applies the migrations and the retention itself at every start.
  const storageConfig = join(dirname(path), 'clickhouse-storage.xml');
  if (!values.url && existsSync(storageConfig)) {
    console.error(
      `${path} is npm start's engine: its tables keep cold parts on the local S3 API (${storageConfig}), which only npm start runs; npm start applies the migrations at every start, so start it instead`,
    );
    return 2;
  }
  const client = await createClickHouseClient(
    values.url
      ? {
          kind: 'http',
          url: values.url,
          username: values.user ?? 'default',
          password: process.env.CLICKHOUSE_PASSWORD ?? '',
        }
      : { kind: 'embedded', path },
  );
  try {
    const result = await migrate(client, topology);
    for (const id of result.alreadyApplied) console.log(`already applied ${id}`);
    for (const id of result.applied) console.log(`applied ${id}`);
    if (result.applied.length === 0) console.log('nothing to apply');
    return 0;
  } finally {
    await client.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`migrate: ${(error as Error).message}`);
    process.exit(1);
  },
);
