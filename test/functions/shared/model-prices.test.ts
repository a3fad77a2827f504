import { describe, expect, it } from 'vitest';
import {
  costCents,
  DEFAULT_MODEL_PRICES,
  ModelPriceError,
  parseModelPrices,
  priceKeyFor,
} from '../../../functions/shared/model-prices.js';

describe('model prices', () => {
  it.each([
    ['gpt-4o', 'gpt-4o'],
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['GPT-4.1-mini', 'gpt-4.1-mini'],
    ['openai/gpt-4.1-nano', 'gpt-4.1-nano'],
    ['o3-mini-2025-01-31', 'o3-mini'],
    ['o3', 'o3'],
    ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4'],
    ['claude-opus-4-1-20250805', 'claude-opus-4'],
    ['claude-opus-4-5-20251101', 'claude-opus-4-5'],
    ['us.anthropic.claude-3-5-haiku-20241022-v1:0', 'claude-3-5-haiku'],
    ['models/gemini-1.5-pro-002', 'gemini-1.5-pro'],
    ['gemini-2.5-flash-lite', 'gemini-2.5-flash-lite'],
    ['mistral-large-latest', 'mistral-large'],
  ])('prices %s as %s', (model, key) => {
    expect(priceKeyFor(model, DEFAULT_MODEL_PRICES)).toBe(key);
  });

  it.each(['gpt-4', 'gpt-4o1', 'o', 'llama-3-70b', ''])('has no price for %j', (model) => {
    expect(priceKeyFor(model, DEFAULT_MODEL_PRICES)).toBeUndefined();
  });

  it('computes cents from dollars per million tokens', () => {
    // 1M input tokens at $2.50 and 1M output tokens at $10: $12.50.
    expect(costCents('gpt-4o', 1_000_000, 1_000_000, DEFAULT_MODEL_PRICES)).toEqual({
      cents: 1250,
      key: 'gpt-4o',
    });
    expect(costCents('unknown', 1, 1, DEFAULT_MODEL_PRICES)).toBeUndefined();
  });

  it('extends and overrides the defaults with an operator table', () => {
    const table = parseModelPrices(
      JSON.stringify({
        'gpt-4o': { inputUsdPerMTok: 2, outputUsdPerMTok: 8 },
        'llama-3-70b': { inputUsdPerMTok: 0.5, outputUsdPerMTok: 0.7 },
      }),
      'OTLP_MODEL_PRICES',
    );
    expect(table['gpt-4o']).toEqual({ inputUsdPerMTok: 2, outputUsdPerMTok: 8 });
    expect(table['gpt-4o-mini']).toEqual(DEFAULT_MODEL_PRICES['gpt-4o-mini']);
    expect(costCents('llama-3-70b-instruct', 1_000_000, 0, table)?.cents).toBe(50);
  });

  it.each([
    ['not JSON', '{', /^prices\.json: not JSON: /],
    [
      'a negative price',
      '{"m": {"inputUsdPerMTok": -1, "outputUsdPerMTok": 1}}',
      /^prices\.json: m\.inputUsdPerMTok: /,
    ],
    ['a missing price', '{"m": {"inputUsdPerMTok": 1}}', /^prices\.json: m\.outputUsdPerMTok: /],
    [
      'a misspelt field',
      '{"m": {"inputUsdPerMTok": 1, "outputUsdPerMTok": 1, "currency": "EUR"}}',
      /^prices\.json: m: /,
    ],
    ['an uppercase model', '{"GPT": {"inputUsdPerMTok": 1, "outputUsdPerMTok": 1}}', /lowercase model name/],
    ['a list', '[]', /^prices\.json: .*expected \{"<model>"/],
  ])('rejects %s, naming the source and the field', (_, text, message) => {
    expect(() => parseModelPrices(text, 'prices.json')).toThrow(ModelPriceError);
    expect(() => parseModelPrices(text, 'prices.json')).toThrow(message);
  });
});
