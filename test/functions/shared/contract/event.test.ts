import { describe, expect, it } from 'vitest';
import { checkEvent, EVENT_LIMITS } from '../../../../functions/shared/contract/event.js';

const base = {
  trace_id: '0af7651916cd43dd8448eb211c80319c',
  span_id: 'b7ad6b7169203331',
  timestamp: '2026-06-15T12:00:00.000Z',
  model: 'gpt-4o-mini',
  latency_ms: 250,
};

function normalised(overrides: Record<string, unknown>) {
  const result = checkEvent({ ...base, ...overrides }, 'proj-a');
  if (!result.ok) throw new Error(`expected a valid event, got: ${result.reason}`);
  return result.event;
}

describe('the event contract normalises', () => {
  it.each([
    [
      'a UUID trace_id to 32 lowercase hex',
      { trace_id: '0AF76519-16CD-43DD-8448-EB211C80319C' },
      { trace_id: '0af7651916cd43dd8448eb211c80319c' },
    ],
    [
      'an uppercase W3C span_id to lowercase',
      { span_id: 'B7AD6B7169203331' },
      { span_id: 'b7ad6b7169203331' },
    ],
    [
      'a UUID span_id to 32 hex',
      { span_id: 'a1b2c3d4-e5f6-4711-8899-aabbccddeeff' },
      { span_id: 'a1b2c3d4e5f647118899aabbccddeeff' },
    ],
    [
      'epoch milliseconds to ISO-8601 UTC',
      { timestamp: 1_781_524_800_123 },
      { timestamp: '2026-06-15T12:00:00.123Z' },
    ],
    [
      'an offset timestamp to UTC',
      { timestamp: '2026-06-15T14:00:00+02:00' },
      { timestamp: '2026-06-15T12:00:00.000Z' },
    ],
    [
      'nanoseconds to milliseconds',
      { timestamp: '2026-06-15T12:00:00.123456789Z' },
      { timestamp: '2026-06-15T12:00:00.123Z' },
    ],
    [
      '29 February of a leap year',
      { timestamp: '2028-02-29T00:00:00Z' },
      { timestamp: '2028-02-29T00:00:00.000Z' },
    ],
    ['absent tokens_used to input + output', { input_tokens: 10, output_tokens: 5 }, { tokens_used: 15 }],
    [
      'tokens_used above input + output as given',
      { input_tokens: 10, output_tokens: 5, tokens_used: 20 },
      { tokens_used: 20 },
    ],
    ['repeated tags to one each, in order', { tags: ['b', 'a', 'b'] }, { tags: ['b', 'a'] }],
    [
      'chat messages in prompt to their JSON text',
      { prompt: [{ role: 'user', content: 'hi' }] },
      { prompt: '[{"role":"user","content":"hi"}]' },
    ],
    ['a null parent_span_id to empty', { parent_span_id: null }, { parent_span_id: '' }],
    [
      'an error with its message',
      { status: 'error', error_message: 'rate limited' },
      { status: 'error', error_message: 'rate limited' },
    ],
    ['a model name as sent, spaces and all', { model: '  gpt-4o  ' }, { model: '  gpt-4o  ' }],
    ["the key's own project_id", { project_id: 'proj-a' }, { project_id: 'proj-a' }],
  ])('%s', (_name, overrides, expected) => {
    expect(normalised(overrides)).toMatchObject(expected);
  });

  it('fills every optional field with its default and the project from the key', () => {
    expect(normalised({})).toEqual({
      ...base,
      parent_span_id: '',
      project_id: 'proj-a',
      name: '',
      input_tokens: 0,
      output_tokens: 0,
      tokens_used: 0,
      cost_cents: 0,
      status: 'ok',
      error_message: '',
      user_id: '',
      session_id: '',
      tags: [],
      metadata: {},
      prompt: '',
      response: '',
    });
  });

  it('accepts every field at its limit', () => {
    const event = normalised({
      prompt: 'p'.repeat(EVENT_LIMITS.textMaxChars),
      response: 'r'.repeat(EVENT_LIMITS.textMaxChars),
      tags: Array.from({ length: EVENT_LIMITS.tagsMaxCount }, (_, i) =>
        `${i}`.padEnd(EVENT_LIMITS.tagMaxChars, 't'),
      ),
      metadata: { a: { b: { c: { d: 'x'.repeat(EVENT_LIMITS.metadataMaxBytes - 40) } } } },
      model: 'm'.repeat(EVENT_LIMITS.modelMaxChars),
      latency_ms: EVENT_LIMITS.latencyMsMax,
    });
    expect(event.prompt).toHaveLength(EVENT_LIMITS.textMaxChars);
  });
});

describe('the event contract rejects what cannot be JSON', () => {
  it.each([
    [
      'rejects metadata with a BigInt',
      { metadata: { n: 10n } },
      /metadata\.n: must be JSON: bigint is not a JSON value/,
    ],
    ['rejects a prompt with a BigInt', { prompt: { n: 10n } }, /prompt: must be a string or a JSON value/],
    [
      'rejects metadata with a getter that throws',
      {
        metadata: {
          get x() {
            throw new Error('no');
          },
        },
      },
      /event could not be read: no/,
    ],
  ])('%s', (_name, overrides, reason) => {
    const result = checkEvent({ ...base, ...overrides }, 'proj-a');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
    expect(result.ok ? '' : result.code).toBe('invalid_event');
  });

  it('rejects metadata that refers to itself', () => {
    const metadata: Record<string, unknown> = {};
    metadata.self = metadata;
    const result = checkEvent({ ...base, metadata }, 'proj-a');
    expect(result.ok ? '' : result.reason).toMatch(/^metadata: /);
  });
});

describe('the event contract tells a project mismatch from an invalid event', () => {
  it.each([
    [
      'another project',
      { project_id: 'proj-b' },
      'project_mismatch',
      /^project_id "proj-b" is not the API key's project "proj-a"/,
    ],
    ['a project id that is not one', { project_id: 'no/such' }, 'invalid_event', /^project_id: /],
  ])('names %s with its own code', (_name, overrides, code, reason) => {
    const result = checkEvent({ ...base, ...overrides }, 'proj-a');
    expect(result.ok ? '' : result.code).toBe(code);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });
});
