import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { z } from 'zod';
import { selectRows, tlsOptions } from '../shared/clickhouse/client.js';
import { caCertificateSchema, nodeUrlsSchema, passwordFromSecret } from '../shared/clickhouse/env.js';
import { METRIC_SERVICES } from '../shared/metrics-catalog.js';
import { observability } from '../shared/observability.js';
import { readEnv } from '../shared/read-env.js';
import type { FailureCounters, HealthDeps } from './core.js';

/** The function's logger and metrics, at module scope: the handler adds the invocation's context. */
export const { logger, metrics } = observability(METRIC_SERVICES.clickhouse);

/** Which nodes to read and as whom (lib/constructs/clickhouse-health.ts sets them). */
const Env = z.object({
  /** Every data node, comma-separated: each is read on its own, not through the cluster. */
  CLICKHOUSE_NODE_URLS: nodeUrlsSchema,
  /** A user that may read `system.*`. */
  CLICKHOUSE_USER: z.string().min(1),
  CLICKHOUSE_PASSWORD_SECRET_ARN: z.string().min(1),
  /** The cluster's CA (base64 DER): the nodes' HTTPS certificates must chain to it. */
  CLICKHOUSE_CA_CERT: caCertificateSchema.optional(),
});

/** A node's name for the `node` dimension: the first label of its host (`ch-s1-r1` of `ch-s1-r1.evalforge.internal`). */
export function nodeName(url: string): string {
  return new URL(url).hostname.split('.')[0] ?? url;
}

let deps: HealthDeps | undefined;

/**
 * The deployed function's dependencies, made on first use and kept by the container: one client
 * per node, and the failure counters of the previous minute (so a warm container publishes
 * deltas; a cold one starts a new baseline). A wrong or missing variable fails by name.
 */
export function lambdaHealthDeps(): HealthDeps {
  if (deps) return deps;
  const env = readEnv(Env, process.env, 'clickhouse-health');
  const urls = new Map(env.CLICKHOUSE_NODE_URLS.map((url) => [nodeName(url), url]));
  const clients = new Map<string, Promise<ClickHouseClient>>();
  const client = (node: string): Promise<ClickHouseClient> => {
    const url = urls.get(node);
    if (url === undefined) throw new Error(`no URL for node ${node}`);
    let made = clients.get(node);
    if (made === undefined) {
      made = passwordFromSecret(env.CLICKHOUSE_PASSWORD_SECRET_ARN, { maxAge: 300 }).then((password) =>
        createClient({
          url,
          username: env.CLICKHOUSE_USER,
          password,
          database: 'default',
          // A node that takes longer than this to read its system tables counts as unreachable.
          request_timeout: 10_000,
          ...tlsOptions(env.CLICKHOUSE_CA_CERT),
        }),
      );
      // A failed secret read is tried again next minute, not kept.
      made.catch(() => clients.delete(node));
      clients.set(node, made);
    }
    return made;
  };
  deps = {
    nodes: [...urls.keys()],
    query: async (node, sql) => selectRows<Record<string, unknown>>(await client(node), sql),
    counters: new Map<string, FailureCounters>(),
  };
  return deps;
}
