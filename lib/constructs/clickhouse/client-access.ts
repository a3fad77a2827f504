import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { EvalForgeFunction } from '../evalforge-function.js';

/** How a function reaches ClickHouse: functions/shared/clickhouse/env.ts reads these variables. */
export interface ClickHouseClientAccess {
  /** `CLICKHOUSE_URL`; the health function names its nodes instead. @default - none */
  readonly url?: string;
  /** The ClickHouse user (`CLICKHOUSE_USERS`), whose grants bound what the function may do. */
  readonly user: string;
  /** The user's password, a plain-text secret the function is granted to read. */
  readonly passwordSecret: ISecret;
  /** The cluster's CA certificate, for an HTTPS endpoint. @default - none */
  readonly caCertificate?: string;
  /** Each shard's replica URLs, for a function that inserts on the owning shard. @default - none */
  readonly shardUrls?: readonly (readonly string[])[];
}

/**
 * Gives a function its ClickHouse connection: the variables its client reads, and the grant to
 * read its user's password. One place for what the loader, the replay job, the query API and the
 * health function each set.
 */
export function grantClickHouseAccess(fn: EvalForgeFunction, access: ClickHouseClientAccess): void {
  const variables: Record<string, string | undefined> = {
    CLICKHOUSE_URL: access.url,
    CLICKHOUSE_USER: access.user,
    CLICKHOUSE_PASSWORD_SECRET_ARN: access.passwordSecret.secretArn,
    CLICKHOUSE_CA_CERT: access.caCertificate,
    CLICKHOUSE_SHARD_URLS: access.shardUrls === undefined ? undefined : JSON.stringify(access.shardUrls),
  };
  for (const [name, value] of Object.entries(variables)) {
    if (value !== undefined) fn.addEnvironment(name, value);
  }
  access.passwordSecret.grantRead(fn);
}
