import { parseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import {
  limitExceeded,
  QUERY_QUOTA,
  QUERY_SETTINGS,
  settingsClause,
} from '../../../functions/query/limits.js';

/** An error as `@clickhouse/client` reads it from a server's answer. */
const serverError = (text: string) => parseError(text);

describe('limitExceeded', () => {
  it.each([
    [
      'Code: 159. DB::Exception: Timeout exceeded: elapsed 20000.3 ms, maximum: 20000 ms. (TIMEOUT_EXCEEDED) (version 25.8.1.1)',
      'max_execution_time',
      'longer than 20 s',
    ],
    [
      'Code: 160. DB::Exception: Estimated query execution time (41.2 seconds) is too long. Maximum: 20. (TOO_SLOW) (version 25.8.1.1)',
      'max_execution_time',
      'would run longer than 20 s',
    ],
    [
      "Code: 158. DB::Exception: Limit for rows (controlled by 'max_rows_to_read' setting) exceeded, max rows: 1.00 billion, current rows: 1.20 billion. (TOO_MANY_ROWS) (version 25.8.1.1)",
      'max_rows_to_read',
      'more than 1,000,000,000 rows',
    ],
    [
      'Code: 307. DB::Exception: Limit for rows or bytes to read exceeded, max bytes: 50.00 GiB, current bytes: 51.01 GiB. (TOO_MANY_BYTES) (version 25.8.1.1)',
      'max_bytes_to_read',
      'more than 50 GiB',
    ],
    [
      'Code: 396. DB::Exception: Limit for result exceeded, max rows: 100.00 thousand, current rows: 131.07 thousand. (TOO_MANY_ROWS_OR_BYTES) (version 25.8.1.1)',
      'max_result_rows',
      'more than 100,000 rows',
    ],
    [
      'Code: 396. DB::Exception: Limit for result exceeded, max bytes: 64.00 MiB, current bytes: 70.00 MiB. (TOO_MANY_ROWS_OR_BYTES) (version 25.8.1.1)',
      'max_result_bytes',
      'more than 64 MiB',
    ],
    [
      'Code: 241. DB::Exception: Query memory limit exceeded: would use 2.00 GiB (attempt to allocate chunk of 4.00 MiB), maximum: 2.00 GiB. (MEMORY_LIMIT_EXCEEDED) (version 26.7.1.1)',
      'max_memory_usage',
      'more than 2 GiB of memory',
    ],
    [
      'Code: 241. DB::Exception: Memory limit (for query) exceeded: would use 2.00 GiB, maximum: 2.00 GiB. (MEMORY_LIMIT_EXCEEDED) (version 23.8.1.1)',
      'max_memory_usage',
      'more than 2 GiB of memory',
    ],
  ])('answers 422 naming the setting for %s', (text, limit, says) => {
    const over = limitExceeded(serverError(text), QUERY_SETTINGS);
    expect(over).toMatchObject({ statusCode: 422, code: 'query_limit_exceeded', limit });
    expect(over?.message).toMatch(new RegExp(`^${limit}: `));
    expect(over?.message).toContain(says);
    expect(over?.retryAfterSec).toBeUndefined();
  });

  it('answers 429 with Retry-After for the quota, naming what ran out', () => {
    const over = limitExceeded(
      serverError(
        'Code: 201. DB::Exception: Quota for user `evalforge_query` for 60s has been exceeded: queries = 6001/6000. Interval will end at 2026-12-02 05:31:00. Name of quota template: `evalforge_query`. (QUOTA_EXCEEDED) (version 25.8.1.1)',
      ),
      QUERY_SETTINGS,
    );
    expect(over).toMatchObject({
      statusCode: 429,
      code: 'query_quota_exceeded',
      limit: 'quota',
      retryAfterSec: QUERY_QUOTA.intervalSec,
    });
    expect(over?.message).toContain('(queries)');
  });

  it('names the limits in force, not the defaults', () => {
    const over = limitExceeded(
      serverError('Code: 158. DB::Exception: Limit for rows exceeded, max rows: 1.00. (TOO_MANY_ROWS)'),
      { ...QUERY_SETTINGS, max_rows_to_read: 1 },
    );
    expect(over?.message).toBe('max_rows_to_read: the query would read more than 1 rows');
  });

  it('reads the code chDB gives its own errors', () => {
    const error = Object.assign(new Error('Timeout exceeded'), { clickhouseCode: 159 });
    expect(limitExceeded(error, QUERY_SETTINGS)?.limit).toBe('max_execution_time');
  });

  it.each([
    [
      "the server's total memory",
      'Code: 241. DB::Exception: (total) memory limit exceeded: would use 7.20 GiB, maximum: 7.20 GiB. (MEMORY_LIMIT_EXCEEDED)',
    ],
    [
      "a user's memory",
      'Code: 241. DB::Exception: Memory limit (for user) exceeded: would use 9.31 GiB. (MEMORY_LIMIT_EXCEEDED)',
    ],
    ['a syntax error', 'Code: 62. DB::Exception: Syntax error: failed at position 1. (SYNTAX_ERROR)'],
    [
      'a table that is missing',
      'Code: 60. DB::Exception: Unknown table expression identifier. (UNKNOWN_TABLE)',
    ],
  ])('fails to match %s: it stays a failure of the store', (_, text) => {
    expect(limitExceeded(serverError(text), QUERY_SETTINGS)).toBeUndefined();
  });

  it.each([
    ['a network error', new Error('connect ECONNREFUSED 10.0.3.7:8123')],
    ['a code that is not a number', Object.assign(new Error('x'), { code: 'ECONNRESET' })],
    ['no error at all', undefined],
    ['a string', 'Code: 159'],
  ])('fails to match %s', (_, error) => {
    expect(limitExceeded(error, QUERY_SETTINGS)).toBeUndefined();
  });
});

describe('QUERY_SETTINGS', () => {
  it('bounds every dimension, and throws rather than cut an answer short', () => {
    for (const name of [
      'max_execution_time',
      'max_memory_usage',
      'max_rows_to_read',
      'max_bytes_to_read',
      'max_result_rows',
      'max_result_bytes',
    ] as const) {
      // 0 would be "no limit" to the engine.
      expect(QUERY_SETTINGS[name]).toBeGreaterThan(0);
    }
    expect(QUERY_SETTINGS.timeout_overflow_mode).toBe('throw');
    expect(QUERY_SETTINGS.read_overflow_mode).toBe('throw');
    expect(QUERY_SETTINGS.result_overflow_mode).toBe('throw');
  });

  it('answers before the query function times out (30 s in every tier)', () => {
    expect(QUERY_SETTINGS.max_execution_time).toBeLessThan(30);
  });

  it('reads as a SETTINGS clause', () => {
    expect(settingsClause({ ...QUERY_SETTINGS, max_rows_to_read: 5 })).toBe(
      `SETTINGS max_execution_time = 20, max_memory_usage = ${2 * 1024 ** 3}, max_rows_to_read = 5, max_bytes_to_read = ${50 * 1024 ** 3}, max_result_rows = 100000, max_result_bytes = ${64 * 1024 ** 2}, timeout_overflow_mode = 'throw', read_overflow_mode = 'throw', result_overflow_mode = 'throw'`,
    );
  });
});

describe('docs/api.md', () => {
  it('shows the limits and the quota the code has', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    const shown = {
      max_execution_time: `${QUERY_SETTINGS.max_execution_time} s`,
      max_memory_usage: `${QUERY_SETTINGS.max_memory_usage / 1024 ** 3} GiB`,
      max_rows_to_read: `${QUERY_SETTINGS.max_rows_to_read / 1e9} billion`,
      max_bytes_to_read: `${QUERY_SETTINGS.max_bytes_to_read / 1024 ** 3} GiB`,
      max_result_rows: QUERY_SETTINGS.max_result_rows.toLocaleString('en-US'),
      max_result_bytes: `${QUERY_SETTINGS.max_result_bytes / 1024 ** 2} MiB`,
    };
    for (const [name, value] of Object.entries(shown)) {
      expect(doc).toMatch(new RegExp(`\\| \`${name}\` +\\| ${value} +\\|`));
    }
    expect(doc).toContain(
      `per ${QUERY_QUOTA.intervalSec} s, ${QUERY_QUOTA.queries.toLocaleString('en-US')} queries, ${QUERY_QUOTA.errors.toLocaleString('en-US')}\nerrors, ${QUERY_QUOTA.executionTimeSec.toLocaleString('en-US')} s of execution and ${QUERY_QUOTA.readRows / 1e9} billion rows read`,
    );
    expect(doc).toContain(`Retry-After: ${QUERY_QUOTA.intervalSec}`);
  });
});
