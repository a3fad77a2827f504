import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readEnv } from '../../../functions/shared/read-env.js';

const Env = z.object({
  TABLE_NAME: z.string().min(1, 'TABLE_NAME must name the table'),
  TTL_SECONDS: z.coerce.number().int().min(0).default(60),
});

describe('readEnv', () => {
  it('returns the variables parsed, defaults applied', () => {
    expect(readEnv(Env, { TABLE_NAME: 'keys', OTHER: 'x' }, 'query')).toEqual({
      TABLE_NAME: 'keys',
      TTL_SECONDS: 60,
    });
  });

  it('fails naming the function and every variable at fault', () => {
    expect(() => readEnv(Env, { TABLE_NAME: '', TTL_SECONDS: '-1' }, 'validator')).toThrow(
      'validator environment is invalid: TABLE_NAME: TABLE_NAME must name the table; TTL_SECONDS: Too small: expected number to be >=0',
    );
  });
});
