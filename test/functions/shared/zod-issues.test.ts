import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeZodIssues } from '../../../functions/shared/zod-issues.js';

function issuesOf(schema: z.ZodType, input: unknown): z.ZodError {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('expected the parse to fail');
  return parsed.error;
}

const Record = z.strictObject({
  name: z.string({ error: 'must be a string' }),
  size: z.number({ error: 'must be a number' }),
  inner: z.strictObject({ id: z.string({ error: 'must be a string' }) }).optional(),
});

describe('describeZodIssues', () => {
  it('names each field at fault by its dotted path, joined with "; "', () => {
    const error = issuesOf(z.object({ a: z.object({ b: z.string() }), c: z.number() }), {
      a: { b: 1 },
      c: 'x',
    });
    expect(describeZodIssues(error)).toBe(
      'a.b: Invalid input: expected string, received number; c: Invalid input: expected number, received string',
    );
  });

  it('puts unknown fields first, with the hint when one is given', () => {
    const error = issuesOf(Record, { nmae: 'x', size: 1 });
    expect(describeZodIssues(error, { unknownKeysHint: 'put free-form data in metadata' })).toBe(
      'unknown field "nmae" (put free-form data in metadata); name: must be a string',
    );
    expect(describeZodIssues(issuesOf(Record, { name: 'x', size: 1, a: 1, b: 2 }))).toBe(
      'unknown fields "a", "b"',
    );
  });

  it('says where a nested unknown field is', () => {
    const error = issuesOf(Record, { name: 'x', size: 1, inner: { id: 'y', extra: true } });
    expect(describeZodIssues(error)).toBe('inner: unknown field "extra"');
  });

  it('says a field is required when the input holds nothing there', () => {
    const input = { size: 1 };
    const error = issuesOf(Record, input);
    expect(describeZodIssues(error, { input })).toBe('name: is required');
    expect(describeZodIssues(error)).toBe('name: must be a string');
  });

  it('writes paths with the given formatter and labels the empty path', () => {
    const error = issuesOf(z.object({ list: z.array(z.number({ error: 'must be a number' })) }), {
      list: [1, 'x'],
    });
    expect(
      describeZodIssues(error, { formatPath: (path) => path.map((p) => `<${String(p)}>`).join('') }),
    ).toBe('<list><1>: must be a number');
    const whole = issuesOf(z.object({}, { error: 'must be an object' }), 'text');
    expect(describeZodIssues(whole)).toBe('must be an object');
    expect(describeZodIssues(whole, { emptyPathLabel: 'file' })).toBe('file: must be an object');
  });

  it('writes at most maxIssues and counts the rest', () => {
    const error = issuesOf(z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string() }), {});
    expect(describeZodIssues(error, { input: {}, maxIssues: 2 })).toBe(
      'a: is required; b: is required; and 2 more',
    );
  });
});
