import { X509Certificate } from 'node:crypto';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { readEnv } from '../read-env.js';
import { type ClickHouseConfig, createClickHouseClient } from './client.js';

/**
 * A CA certificate as the stack passes it (`CLICKHOUSE_CA_CERT`): DER in base64 on one line, as
 * the certificates custom resource answers it; parsed to PEM, the form TLS takes. Anything that
 * is not a certificate fails by name.
 */
export const caCertificateSchema = z.string().transform((value, ctx) => {
  try {
    return new X509Certificate(Buffer.from(value, 'base64')).toString();
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a certificate (DER in base64 expected)' });
    return z.NEVER;
  }
});

/**
 * `CLICKHOUSE_NODE_URLS`: every data node of a cluster, comma-separated, as the functions that
 * reach each node on its own take it (the migrations wait for all; the health function reads each).
 */
export const nodeUrlsSchema = z
  .string()
  .transform((s) => s.split(',').filter((u) => u.length > 0))
  .pipe(z.array(z.url()).min(1));

/**
 * Where a function finds ClickHouse, from its environment: a cluster (AWS), reached over HTTPS on
 * port 8443 inside the VPC, its certificates verified against the cluster's own CA
 * (`CLICKHOUSE_CA_CERT`), with the password in Secrets Manager; or an embedded engine on a local
 * path (`npm start`, tests).
 * Each function connects as its own user, so `CLICKHOUSE_USER` defaults per function.
 */
export function clickHouseEnvSchema(defaultUser: string) {
  return z
    .object({
      CLICKHOUSE_URL: z.url().optional(),
      CLICKHOUSE_USER: z.string().min(1).default(defaultUser),
      /** Secrets Manager secret holding the password; read through Powertools, cached. */
      CLICKHOUSE_PASSWORD_SECRET_ARN: z.string().min(1).optional(),
      /** The CA the cluster's certificates chain to; without it, the system's CAs. */
      CLICKHOUSE_CA_CERT: caCertificateSchema.optional(),
      CLICKHOUSE_EMBEDDED_PATH: z.string().min(1).optional(),
    })
    .refine((env) => (env.CLICKHOUSE_URL === undefined) !== (env.CLICKHOUSE_EMBEDDED_PATH === undefined), {
      message:
        'set exactly one of CLICKHOUSE_URL (a cluster) and CLICKHOUSE_EMBEDDED_PATH (an embedded engine)',
    })
    .refine((env) => env.CLICKHOUSE_URL === undefined || env.CLICKHOUSE_PASSWORD_SECRET_ARN !== undefined, {
      message: 'CLICKHOUSE_URL needs CLICKHOUSE_PASSWORD_SECRET_ARN',
    })
    .refine((env) => env.CLICKHOUSE_CA_CERT === undefined || env.CLICKHOUSE_URL?.startsWith('https:'), {
      message: 'CLICKHOUSE_CA_CERT is for an https CLICKHOUSE_URL',
    });
}

export type ClickHouseEnv = z.output<ReturnType<typeof clickHouseEnvSchema>>;

/**
 * The ClickHouse variables of `env`, checked; a wrong or missing one throws an error that names
 * the function (`loader environment is invalid: …`).
 */
export function readClickHouseEnv(
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly functionName: string; readonly defaultUser: string },
): ClickHouseEnv {
  return readEnv(clickHouseEnvSchema(options.defaultUser), env, options.functionName);
}

/** The connection settings the environment names, with the password read from its secret. */
export async function clickHouseConfig(env: ClickHouseEnv): Promise<ClickHouseConfig> {
  if (env.CLICKHOUSE_EMBEDDED_PATH) return { kind: 'embedded', path: env.CLICKHOUSE_EMBEDDED_PATH };
  const password = await passwordFromSecret(env.CLICKHOUSE_PASSWORD_SECRET_ARN ?? '', { maxAge: 300 });
  return {
    kind: 'http',
    url: env.CLICKHOUSE_URL ?? '',
    username: env.CLICKHOUSE_USER,
    password,
    ...(env.CLICKHOUSE_CA_CERT ? { caCertificate: env.CLICKHOUSE_CA_CERT } : {}),
  };
}

/**
 * A ClickHouse password held in a Secrets Manager secret; a secret that holds no password string
 * fails by name. `maxAge` is how many seconds a value read before is used again.
 */
export async function passwordFromSecret(secretArn: string, options?: { maxAge?: number }): Promise<string> {
  const password = await getSecret(secretArn, options);
  if (typeof password !== 'string' || password.length === 0) {
    throw new Error(`secret ${secretArn} holds no password string`);
  }
  return password;
}

/** A client for the ClickHouse the environment names. */
export async function clickHouseFromEnv(env: ClickHouseEnv): Promise<ClickHouseClient> {
  return createClickHouseClient(await clickHouseConfig(env));
}
