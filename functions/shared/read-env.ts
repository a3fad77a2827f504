import { z } from 'zod';
import { describeZodIssues } from './zod-issues.js';

/**
 * The variables `schema` reads from `env`, checked once; a wrong or missing one throws an error
 * that names the function and every variable at fault (`query environment is invalid: …`), so a
 * misconfigured deployment fails its first request by name.
 */
export function readEnv<S extends z.ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
  functionName: string,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`${functionName} environment is invalid: ${describeZodIssues(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * A variable that holds JSON (`HOME_STREAMS`, `CLICKHOUSE_SHARD_URLS`…): its text parsed, or the
 * issue "is not JSON"; `.pipe()` a schema of the value after it.
 */
export function jsonText(message = 'is not JSON') {
  return z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
  });
}
