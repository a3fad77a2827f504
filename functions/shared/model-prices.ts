import { z } from 'zod';

/** What a model costs, in US dollars per million tokens. */
export interface ModelPrice {
  readonly inputUsdPerMTok: number;
  readonly outputUsdPerMTok: number;
}

export type ModelPriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * List prices of common models (standard tier, no batch or cache discount; for tiered prices
 * the lowest prompt-size tier). Keys are model names without a date or version suffix: a key
 * prices the name itself and every name that continues it after `-`, `:` or `@`
 * (`gpt-4o-mini` prices `gpt-4o-mini-2024-07-18`; a key `gpt-4` would not price `gpt-4o`), and the
 * longest key wins (`gpt-4o-mini` before `gpt-4o`).
 *
 * Extend or override it with a JSON object of the same shape (see `parseModelPrices`).
 */
export const DEFAULT_MODEL_PRICES = {
  // OpenAI: https://openai.com/api/pricing (list prices as of 2025-08)
  'gpt-5': { inputUsdPerMTok: 1.25, outputUsdPerMTok: 10 },
  'gpt-5-mini': { inputUsdPerMTok: 0.25, outputUsdPerMTok: 2 },
  'gpt-5-nano': { inputUsdPerMTok: 0.05, outputUsdPerMTok: 0.4 },
  'gpt-4.1': { inputUsdPerMTok: 2, outputUsdPerMTok: 8 },
  'gpt-4.1-mini': { inputUsdPerMTok: 0.4, outputUsdPerMTok: 1.6 },
  'gpt-4.1-nano': { inputUsdPerMTok: 0.1, outputUsdPerMTok: 0.4 },
  'gpt-4o': { inputUsdPerMTok: 2.5, outputUsdPerMTok: 10 },
  'gpt-4o-mini': { inputUsdPerMTok: 0.15, outputUsdPerMTok: 0.6 },
  'gpt-4-turbo': { inputUsdPerMTok: 10, outputUsdPerMTok: 30 },
  'gpt-3.5-turbo': { inputUsdPerMTok: 0.5, outputUsdPerMTok: 1.5 },
  o1: { inputUsdPerMTok: 15, outputUsdPerMTok: 60 },
  o3: { inputUsdPerMTok: 2, outputUsdPerMTok: 8 },
  'o3-mini': { inputUsdPerMTok: 1.1, outputUsdPerMTok: 4.4 },
  'o4-mini': { inputUsdPerMTok: 1.1, outputUsdPerMTok: 4.4 },
  // OpenAI embeddings (input only): https://openai.com/api/pricing (list prices as of 2025-08)
  'text-embedding-3-small': { inputUsdPerMTok: 0.02, outputUsdPerMTok: 0 },
  'text-embedding-3-large': { inputUsdPerMTok: 0.13, outputUsdPerMTok: 0 },
  // Anthropic: https://docs.anthropic.com/en/docs/about-claude/pricing (list prices as of 2025-08)
  'claude-opus-4': { inputUsdPerMTok: 15, outputUsdPerMTok: 75 },
  'claude-sonnet-4': { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
  'claude-3-7-sonnet': { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
  'claude-3-5-sonnet': { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
  'claude-3-5-haiku': { inputUsdPerMTok: 0.8, outputUsdPerMTok: 4 },
  'claude-3-opus': { inputUsdPerMTok: 15, outputUsdPerMTok: 75 },
  'claude-3-haiku': { inputUsdPerMTok: 0.25, outputUsdPerMTok: 1.25 },
  // Anthropic, the same page (list prices as of 2026-03): Opus from 4.5 on is priced below Opus 4 and 4.1.
  'claude-opus-4-5': { inputUsdPerMTok: 5, outputUsdPerMTok: 25 },
  'claude-opus-4-6': { inputUsdPerMTok: 5, outputUsdPerMTok: 25 },
  'claude-haiku-4-5': { inputUsdPerMTok: 1, outputUsdPerMTok: 5 },
  // Google Gemini API, prompts up to 200k tokens: https://ai.google.dev/gemini-api/docs/pricing (list prices as of 2025-08)
  'gemini-2.5-pro': { inputUsdPerMTok: 1.25, outputUsdPerMTok: 10 },
  'gemini-2.5-flash': { inputUsdPerMTok: 0.3, outputUsdPerMTok: 2.5 },
  'gemini-2.5-flash-lite': { inputUsdPerMTok: 0.1, outputUsdPerMTok: 0.4 },
  'gemini-2.0-flash': { inputUsdPerMTok: 0.1, outputUsdPerMTok: 0.4 },
  'gemini-1.5-pro': { inputUsdPerMTok: 1.25, outputUsdPerMTok: 5 },
  'gemini-1.5-flash': { inputUsdPerMTok: 0.075, outputUsdPerMTok: 0.3 },
  // Mistral: https://mistral.ai/pricing#api-pricing (list prices as of 2025-08)
  'mistral-large': { inputUsdPerMTok: 2, outputUsdPerMTok: 6 },
  'mistral-small': { inputUsdPerMTok: 0.1, outputUsdPerMTok: 0.3 },
} as const satisfies ModelPriceTable;

const price = z.strictObject({
  inputUsdPerMTok: z.number().finite().min(0).max(10_000),
  outputUsdPerMTok: z.number().finite().min(0).max(10_000),
});

/** A price table as JSON: lowercase model names, each with its input and output price. */
export const PriceTableSchema = z.record(z.string(), price).superRefine((table, ctx) => {
  for (const model of Object.keys(table)) {
    if (!/^[^A-Z\s]{1,128}$/.test(model)) {
      ctx.addIssue({
        code: 'custom',
        path: [model],
        message: 'must be a lowercase model name without spaces',
      });
    }
  }
});

/** Why a price table given by an operator cannot be used. */
export class ModelPriceError extends Error {
  override readonly name = 'ModelPriceError';
}

/**
 * The default table extended by an operator's JSON object (`{"my-model": {"inputUsdPerMTok": 1,
 * "outputUsdPerMTok": 2}}`): its keys add models or override the defaults. The deployment passes
 * it as text (an environment variable or a file read in deps.ts); `source` names it in errors.
 */
export function parseModelPrices(text: string, source: string): ModelPriceTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelPriceError(`${source}: not JSON: ${(error as Error).message}`);
  }
  const parsed = PriceTableSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.map(String).join('.') ?? '';
    throw new ModelPriceError(
      `${source}: ${at ? `${at}: ` : ''}${issue?.message ?? 'invalid'} (expected {"<model>": {"inputUsdPerMTok": <USD>, "outputUsdPerMTok": <USD>}})`,
    );
  }
  return { ...DEFAULT_MODEL_PRICES, ...parsed.data };
}

/**
 * The table's key for a model name as instrumentations report it: lowercased, without a
 * provider path (`openai/gpt-4o`, `models/gemini-1.5-pro`) or a Bedrock provider prefix
 * (`us.anthropic.claude-3-5-haiku-20241022-v1:0`); the longest key that is the name or a
 * prefix of it followed by `-`, `:` or `@`.
 */
export function priceKeyFor(model: string, table: ModelPriceTable): string | undefined {
  let name = model.trim().toLowerCase();
  name = name.slice(name.lastIndexOf('/') + 1);
  name = name.replace(/^(?:[a-z]{2}\.)?(?:anthropic|meta|mistral|amazon|cohere|ai21|deepseek|openai)\./, '');
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (!name.startsWith(key)) continue;
    const next = name.charAt(key.length);
    if (next !== '' && next !== '-' && next !== ':' && next !== '@') continue;
    if (best === undefined || key.length > best.length) best = key;
  }
  return best;
}

/** The cost in US cents of a call, or `undefined` when the table has no price for the model. */
export function costCents(
  model: string,
  inputTokens: number,
  outputTokens: number,
  table: ModelPriceTable,
): { cents: number; key: string } | undefined {
  const key = priceKeyFor(model, table);
  const p = key === undefined ? undefined : table[key];
  if (key === undefined || p === undefined) return undefined;
  const usd = (inputTokens * p.inputUsdPerMTok + outputTokens * p.outputUsdPerMTok) / 1_000_000;
  return { cents: usd * 100, key };
}
