import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/flags.js';
import type { ModelUsage, Summary } from '../../functions/query/queries.js';
import {
  curlCommands,
  DEMO_DEFAULTS,
  eventsDue,
  formatModelTable,
  formatProgress,
  formatSummary,
  keyReference,
  notRunningMessage,
  parseDemoArgs,
  plannedEvents,
  unauthorizedMessage,
} from '../../local/demo-core.js';

const run = (argv: string[], env: Record<string, string | undefined> = {}) => {
  const command = parseDemoArgs(argv, env);
  if (command.kind !== 'run') throw new Error('expected a run');
  return command.options;
};

describe('parseDemoArgs', () => {
  it('defaults to 200 events/s for 60 s against 127.0.0.1:8080 with the key file under .evalforge', () => {
    expect(run([])).toEqual({
      url: 'http://127.0.0.1:8080',
      urlSource: 'default',
      key: { kind: 'file', path: '.evalforge/dev-api-key' },
      ratePerSec: DEMO_DEFAULTS.ratePerSec,
      durationSec: DEMO_DEFAULTS.durationSec,
    });
  });

  it('reads --rate, --duration and --seed', () => {
    expect(run(['--rate', '300', '--duration=2.5', '--seed', '0'])).toMatchObject({
      ratePerSec: 300,
      durationSec: 2.5,
      seed: 0,
    });
  });

  it.each([
    {
      name: '--url over EVALFORGE_URL and PORT',
      argv: ['--url', 'http://h:1/'],
      expected: ['http://h:1', '--url'],
    },
    { name: 'EVALFORGE_URL over PORT', argv: [], expected: ['https://ef.example.com', 'EVALFORGE_URL'] },
  ])('takes $name', ({ argv, expected }) => {
    const options = run(argv, { EVALFORGE_URL: 'https://ef.example.com/', PORT: '9000' });
    expect([options.url, options.urlSource]).toEqual(expected);
  });

  it('builds the URL from PORT when neither --url nor EVALFORGE_URL is set', () => {
    expect(run([], { PORT: '18181' })).toMatchObject({ url: 'http://127.0.0.1:18181', urlSource: 'PORT' });
  });

  it.each([
    {
      argv: ['--api-key', 'efk_flag'],
      env: { EVALFORGE_API_KEY: 'efk_env' },
      key: { kind: 'flag', key: 'efk_flag' },
    },
    { argv: [], env: { EVALFORGE_API_KEY: ' efk_env\n' }, key: { kind: 'env', key: 'efk_env' } },
    {
      argv: [],
      env: { EVALFORGE_DATA_DIR: '/tmp/data' },
      key: { kind: 'file', path: '/tmp/data/dev-api-key' },
    },
    { argv: [], env: { EVALFORGE_API_KEY: '' }, key: { kind: 'file', path: '.evalforge/dev-api-key' } },
  ])('finds the key: $key.kind', ({ argv, env, key }) => {
    expect(run(argv, env).key).toEqual(key);
  });

  it('answers --help and -h', () => {
    expect(parseDemoArgs(['--help'], {})).toEqual({ kind: 'help' });
    expect(parseDemoArgs(['-h', '--rate', 'x'], {})).toEqual({ kind: 'help' });
  });

  it.each([
    { argv: ['--rate', 'fast'], message: /^--rate must be events per second.*"fast"/ },
    { argv: ['--rate', '0'], message: /^--rate must be/ },
    { argv: ['--rate', '10001'], message: /^--rate .*at most 10000/ },
    { argv: ['--rate', ''], message: /^--rate must be/ },
    { argv: ['--duration', '-5'], message: /--duration/ },
    { argv: ['--duration', 'Infinity'], message: /^--duration must be seconds/ },
    { argv: ['--seed', '1.5'], message: /^--seed must be a whole number/ },
    { argv: ['--seed', '4294967296'], message: /^--seed must be a whole number from 0 to 4294967295/ },
    { argv: ['--url', 'localhost:8080'], message: /^--url must be an http:\/\/ or https:\/\/ URL/ },
    { argv: ['--url', 'not a url'], message: /^--url must be a URL/ },
    { argv: ['--api-key', ' '], message: /^--api-key must not be empty/ },
    { argv: ['--rat', '5'], message: /--rat/ },
    { argv: ['--rate'], message: /--rate/ },
    { argv: ['now'], message: /now/ },
  ])('rejects $argv, naming the flag', ({ argv, message }) => {
    expect(() => parseDemoArgs(argv, {})).toThrow(UsageError);
    expect(() => parseDemoArgs(argv, {})).toThrow(message);
  });

  it.each([
    { env: { PORT: 'http' }, message: /^PORT must be a port number/ },
    { env: { PORT: '70000' }, message: /^PORT must be a port number/ },
    { env: { PORT: '0' }, message: /^PORT must be a port number/ },
    { env: { EVALFORGE_URL: 'nope' }, message: /^EVALFORGE_URL must be a URL/ },
  ])('rejects $env, naming the variable', ({ env, message }) => {
    expect(() => parseDemoArgs([], env)).toThrow(message);
  });
});

describe('the send schedule', () => {
  it.each([
    { rate: 200, duration: 60, planned: 12_000 },
    { rate: 300, duration: 3, planned: 900 },
    { rate: 0.1, duration: 30, planned: 3 },
    { rate: 7, duration: 0.5, planned: 3 },
  ])('plans $planned events at $rate/s for $duration s', ({ rate, duration, planned }) => {
    expect(plannedEvents(rate, duration)).toBe(planned);
  });

  it.each([
    { elapsedMs: 0, captured: 0, due: 0 },
    { elapsedMs: 100, captured: 0, due: 20 },
    { elapsedMs: 250, captured: 20, due: 30 },
    // A timer that fired late is caught up at once, not lost.
    { elapsedMs: 1_000, captured: 40, due: 160 },
    // Never past the plan, however late.
    { elapsedMs: 120_000, captured: 11_990, due: 10 },
    { elapsedMs: 60_000, captured: 12_000, due: 0 },
    // Captured ahead of the clock (it went back): nothing, not a negative count.
    { elapsedMs: 100, captured: 50, due: 0 },
    { elapsedMs: -5, captured: 0, due: 0 },
  ])('at 200/s, $elapsedMs ms in with $captured captured: $due due', ({ elapsedMs, captured, due }) => {
    expect(eventsDue(200, elapsedMs, 12_000, captured)).toBe(due);
  });

  it('spreads a run over 100 ms slices evenly, reaching the plan at its end', () => {
    const planned = plannedEvents(300, 3);
    let captured = 0;
    const slices: number[] = [];
    for (let at = 100; at <= 3_000; at += 100) {
      const due = eventsDue(300, at, planned, captured);
      slices.push(due);
      captured += due;
    }
    expect(captured).toBe(900);
    expect(new Set(slices)).toEqual(new Set([30]));
  });
});

const SUMMARY: Summary = {
  requests: 12_000,
  errors: 240,
  error_rate: 0.02,
  latency_ms_avg: 1_700.4,
  latency_ms_p95: 3_050.7,
  latency_ms_max: 3_199,
  input_tokens: 7_200_000,
  output_tokens: 6_600_000,
  total_tokens: 13_800_000,
  cost_cents: 5_040.5,
};

describe('what the demo prints', () => {
  it('shows a key file as $(cat …), a variable as itself, and a flag key as given', () => {
    expect(keyReference({ kind: 'file', path: '.evalforge/dev-api-key' })).toBe(
      '$(cat .evalforge/dev-api-key)',
    );
    expect(keyReference({ kind: 'file', path: "/tmp/my data/it's" })).toBe(`$(cat '/tmp/my data/it'\\''s')`);
    expect(keyReference({ kind: 'env', key: 'efk_secret' })).toBe('$EVALFORGE_API_KEY');
    expect(keyReference({ kind: 'flag', key: 'efk_given' })).toBe('efk_given');
  });

  it('prints curl commands that never contain a key read from a file', () => {
    const lines = curlCommands(
      'http://127.0.0.1:8080',
      { kind: 'file', path: '.evalforge/dev-api-key' },
      'ab'.repeat(16),
    );
    expect(lines).toContain(
      'curl -s "http://127.0.0.1:8080/v1/summary?window=15m" -H "Authorization: Bearer $(cat .evalforge/dev-api-key)"',
    );
    expect(lines.at(-1)).toContain(`/v1/traces/${'ab'.repeat(16)}"`);
    expect(lines.join('\n')).not.toMatch(/efk_/);
  });

  it('prints a progress line with what was sent and what ClickHouse holds', () => {
    const line = formatProgress({
      elapsedMs: 10_020,
      captured: 2_004,
      accepted: 1_900,
      acceptedPerSec: 199.6,
      dropped: 0,
      readBack: SUMMARY,
    });
    expect(line).toBe(
      '  10 s  2,004 sent, 1,900 accepted (200/s) · ClickHouse, last 5 min: 12,000 requests, 2.0% errors, p95 3,051 ms',
    );
    expect(
      formatProgress({
        elapsedMs: 5_000,
        captured: 1,
        accepted: 0,
        acceptedPerSec: 0,
        dropped: 1,
        readBack: 'HTTP 503',
      }),
    ).toBe('   5 s  1 sent, 0 accepted, 1 dropped (0/s) · query API: HTTP 503');
  });

  it('prints a table per model with a total, and the summary', () => {
    const models: ModelUsage[] = [
      {
        model: 'gpt-4o',
        requests: 7,
        input_tokens: 1_000,
        output_tokens: 2_000,
        total_tokens: 3_000,
        cost_cents: 150,
      },
      {
        model: 'claude-haiku-4',
        requests: 3,
        input_tokens: 10,
        output_tokens: 20,
        total_tokens: 30,
        cost_cents: 1.5,
      },
    ];
    expect(formatModelTable(models)).toEqual([
      'MODEL           REQUESTS  INPUT TOKENS  OUTPUT TOKENS   COST',
      'gpt-4o                 7         1,000          2,000  $1.50',
      'claude-haiku-4         3            10             20  $0.02',
      'total                 10         1,010          2,020  $1.52',
    ]);
    expect(formatModelTable([])).toEqual(['(no calls in the window)']);
    expect(formatSummary(SUMMARY)).toEqual([
      'requests 12,000 · errors 240 (2.0%) · latency avg 1,700 ms, p95 3,051 ms, max 3,199 ms',
      'tokens 7,200,000 in, 6,600,000 out · cost $50.41',
    ]);
  });

  it('tells the user to run npm start, naming the URL tried and where it came from', () => {
    const message = notRunningMessage(
      { url: 'http://127.0.0.1:8080', urlSource: 'default' },
      'failed (ECONNREFUSED)',
    );
    expect(message).toMatch(/^No EvalForge API answers at http:\/\/127\.0\.0\.1:8080 /);
    expect(message).toMatch(/npm start/);
    expect(notRunningMessage({ url: 'http://h:1', urlSource: 'EVALFORGE_URL' }, 'timed out')).toMatch(
      /\(from EVALFORGE_URL\)/,
    );
  });

  it('explains a refused key read from a file: delete it and restart, or set EVALFORGE_API_KEY', () => {
    const message = unauthorizedMessage(
      { kind: 'file', path: '.evalforge/dev-api-key' },
      'http://127.0.0.1:8080',
      'API key is not known',
    );
    expect(message).toMatch(/API key is not known/);
    expect(message).toMatch(/Delete \.evalforge\/dev-api-key/);
    expect(message).toMatch(/EVALFORGE_API_KEY/);
  });
});
