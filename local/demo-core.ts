import { join } from 'node:path';
import { HELP_FLAG, parseFlags, readNumber, readWholeNumber, stringFlags, UsageError } from '../cli/flags.js';
import { shellWord } from '../cli/shell-word.js';
import type { ModelUsage, Summary } from '../functions/query/queries.js';
import {
  API_TARGET_OPTIONS,
  type ApiTarget,
  type KeySource,
  NPM_START_DEFAULTS,
  resolveApiTarget,
} from './api-target.js';
import { DEV_KEY_FILE } from './dev-key.js';

/**
 * The pure part of `npm run demo`: its arguments, its send schedule and what it prints. The
 * network, the clock and the SDK live in `demo.ts`.
 */

export const DEMO_DEFAULTS = {
  ratePerSec: 200,
  durationSec: 60,
  ...NPM_START_DEFAULTS,
  /** How often a progress line is printed. */
  progressIntervalMs: 5_000,
  /** Events are captured in slices this far apart, so the rate is smooth. */
  sliceMs: 100,
} as const;

export const DEMO_LIMITS = {
  maxRatePerSec: 10_000,
  maxDurationSec: 86_400,
  maxSeed: 2 ** 32 - 1,
} as const;

export const DEMO_USAGE = `Usage: npm run demo -- [options]

Sends realistic LLM-call events through the SDK to a running \`npm start\`, then reads the
numbers back from the query API.

Options:
  --rate <events/s>     events per second, up to ${DEMO_LIMITS.maxRatePerSec} (default ${DEMO_DEFAULTS.ratePerSec})
  --duration <seconds>  how long to send, up to ${DEMO_LIMITS.maxDurationSec} (default ${DEMO_DEFAULTS.durationSec})
  --seed <n>            seed of the event generator, a whole number (default: random, printed)
  --url <url>           the API; env EVALFORGE_URL (default http://127.0.0.1:$PORT, PORT defaulting to ${DEMO_DEFAULTS.port})
  --api-key <key>       env EVALFORGE_API_KEY (default: the key npm start wrote to
                        $EVALFORGE_DATA_DIR/dev-api-key, EVALFORGE_DATA_DIR defaulting to ${DEMO_DEFAULTS.dataDir})
  -h, --help            show this help

Ctrl-C stops sending, delivers what was captured and prints the summary.
`;

export type { KeySource } from './api-target.js';

/** The API, where its URL came from and the key (`local/api-target.ts`), and the run's shape. */
export interface DemoOptions extends ApiTarget {
  readonly ratePerSec: number;
  readonly durationSec: number;
  /** @default - a random seed, printed so the run's events can be drawn again */
  readonly seed?: number;
  /** @default - `DEMO_DEFAULTS.progressIntervalMs` */
  readonly progressIntervalMs?: number;
}

export type DemoCommand = { readonly kind: 'help' } | { readonly kind: 'run'; readonly options: DemoOptions };

const OPTIONS = {
  ...stringFlags('rate', 'duration', 'seed'),
  ...API_TARGET_OPTIONS,
  ...HELP_FLAG,
} as const;

/** A number above 0 and at most `max`. */
function positive(name: string, text: string, max: number, what: string): number {
  const value = readNumber(text);
  if (value === undefined || value <= 0 || value > max) {
    throw new UsageError(`${name} must be ${what}; got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * Reads the demo's flags (`--rate`, `--duration`, `--seed`, `--url`, `--api-key`, `--help`) and,
 * for what they leave out, EVALFORGE_URL, PORT, EVALFORGE_API_KEY and EVALFORGE_DATA_DIR.
 * @throws UsageError naming the flag or variable at fault.
 */
export function parseDemoArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): DemoCommand {
  const { values } = parseFlags({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true });
  if (values.help) return { kind: 'help' };

  const ratePerSec =
    values.rate === undefined
      ? DEMO_DEFAULTS.ratePerSec
      : positive(
          '--rate',
          values.rate,
          DEMO_LIMITS.maxRatePerSec,
          `events per second, above 0 and at most ${DEMO_LIMITS.maxRatePerSec}`,
        );
  const durationSec =
    values.duration === undefined
      ? DEMO_DEFAULTS.durationSec
      : positive(
          '--duration',
          values.duration,
          DEMO_LIMITS.maxDurationSec,
          `seconds, above 0 and at most ${DEMO_LIMITS.maxDurationSec}`,
        );
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = readWholeNumber(values.seed, 0, DEMO_LIMITS.maxSeed);
    if (seed === undefined) {
      throw new UsageError(
        `--seed must be a whole number from 0 to ${DEMO_LIMITS.maxSeed}; got ${JSON.stringify(values.seed)}`,
      );
    }
  }

  const target = resolveApiTarget(
    { url: values.url, apiKey: values['api-key'] },
    env,
    (name, problem) => new UsageError(`${name} ${problem}`),
  );
  const options: DemoOptions = { ...target, ratePerSec, durationSec };
  return { kind: 'run', options: seed === undefined ? options : { ...options, seed } };
}

// ---------------------------------------------------------------------------------------------
// The schedule

/** Events a run sends in all: the rate times the duration, rounded down. */
export function plannedEvents(ratePerSec: number, durationSec: number): number {
  // The epsilon keeps 0.1 × 30 (2.9999…) from losing an event to floating point.
  return Math.floor(ratePerSec * durationSec + 1e-9);
}

/**
 * Events to capture now, `elapsedMs` into the run, when `captured` have been captured so far:
 * what the rate owes by now, never past `planned`. Counting from the start rather than per slice
 * keeps the rate exact when timers fire late; a slow slice is caught up by the next one.
 */
export function eventsDue(ratePerSec: number, elapsedMs: number, planned: number, captured: number): number {
  const owed = Math.min(planned, Math.floor((ratePerSec * Math.max(0, elapsedMs)) / 1_000 + 1e-9));
  return Math.max(0, owed - captured);
}

// ---------------------------------------------------------------------------------------------
// What it prints

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const DOLLARS = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
export const formatCount = (value: number): string => INTEGER.format(value);
const percent = (ratio: number | null): string => (ratio === null ? '-' : `${(ratio * 100).toFixed(1)}%`);
const ms = (value: number | null): string => (value === null ? '-' : `${INTEGER.format(value)} ms`);
const dollars = (cents: number): string => DOLLARS.format(cents / 100);

/** How the key appears in a printed command: never the key itself when a file or variable holds it. */
export function keyReference(key: KeySource): string {
  switch (key.kind) {
    case 'file':
      return `$(cat ${shellWord(key.path)})`;
    case 'env':
      return '$EVALFORGE_API_KEY';
    case 'flag':
      return key.key;
  }
}

/** Where the key came from, for the header and for messages. */
export function describeKeySource(key: KeySource): string {
  switch (key.kind) {
    case 'file':
      return `from ${key.path}`;
    case 'env':
      return 'from EVALFORGE_API_KEY';
    case 'flag':
      return 'from --api-key';
  }
}

export interface ProgressFigures {
  readonly elapsedMs: number;
  /** Events handed to the SDK so far. */
  readonly captured: number;
  /** Events the API accepted so far. */
  readonly accepted: number;
  /** Events per second the API accepted since the previous line. */
  readonly acceptedPerSec: number;
  readonly dropped: number;
  /** What the query API says about the last 5 minutes, or why it could not say. */
  readonly readBack: Summary | string;
}

/** One progress line: what was sent, and what ClickHouse already holds. */
export function formatProgress(p: ProgressFigures): string {
  const seconds = `${Math.round(p.elapsedMs / 1_000)} s`.padStart(6);
  const dropped = p.dropped > 0 ? `, ${formatCount(p.dropped)} dropped` : '';
  const sent = `${formatCount(p.captured)} sent, ${formatCount(p.accepted)} accepted${dropped} (${formatCount(p.acceptedPerSec)}/s)`;
  const readBack =
    typeof p.readBack === 'string'
      ? `query API: ${p.readBack}`
      : `ClickHouse, last 5 min: ${formatCount(p.readBack.requests)} requests, ${percent(p.readBack.error_rate)} errors, p95 ${ms(p.readBack.latency_ms_p95)}`;
  return `${seconds}  ${sent} · ${readBack}`;
}

/** A plain text table: the first column left-aligned, the others right-aligned. */
function table(rows: readonly (readonly string[])[]): string[] {
  const columns = Math.max(...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, c) =>
    Math.max(...rows.map((row) => row[c]?.length ?? 0)),
  );
  return rows.map((row) =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** Requests, tokens and cost per model, with a total line. */
export function formatModelTable(models: readonly ModelUsage[]): string[] {
  if (models.length === 0) return ['(no calls in the window)'];
  const total = models.reduce(
    (sum, m) => ({
      requests: sum.requests + m.requests,
      input_tokens: sum.input_tokens + m.input_tokens,
      output_tokens: sum.output_tokens + m.output_tokens,
      cost_cents: sum.cost_cents + m.cost_cents,
    }),
    { requests: 0, input_tokens: 0, output_tokens: 0, cost_cents: 0 },
  );
  const row = (name: string, m: typeof total) => [
    name,
    formatCount(m.requests),
    formatCount(m.input_tokens),
    formatCount(m.output_tokens),
    dollars(m.cost_cents),
  ];
  return table([
    ['MODEL', 'REQUESTS', 'INPUT TOKENS', 'OUTPUT TOKENS', 'COST'],
    ...models.map((m) => row(m.model, m)),
    row('total', total),
  ]);
}

/** The totals of a window, in two lines. */
export function formatSummary(s: Summary): string[] {
  return [
    `requests ${formatCount(s.requests)} · errors ${formatCount(s.errors)} (${percent(s.error_rate)}) · latency avg ${ms(s.latency_ms_avg)}, p95 ${ms(s.latency_ms_p95)}, max ${ms(s.latency_ms_max)}`,
    `tokens ${formatCount(s.input_tokens)} in, ${formatCount(s.output_tokens)} out · cost ${dollars(s.cost_cents)}`,
  ];
}

/** Commands to query further, ready to paste. */
export function curlCommands(url: string, key: KeySource, traceId?: string): string[] {
  const auth = `-H "Authorization: Bearer ${keyReference(key)}"`;
  const get = (path: string) => `curl -s "${url}${path}" ${auth}`;
  return [
    get('/v1/summary?window=15m'),
    get('/v1/models?window=15m'),
    get('/v1/metrics?window=15m'),
    get('/v1/calls/slowest?window=15m&limit=5'),
    get('/v1/calls/failed?window=15m&limit=5'),
    ...(traceId === undefined ? [] : [get(`/v1/traces/${traceId}`)]),
  ];
}

/** Why the demo cannot start when the API does not answer. */
export function notRunningMessage(options: Pick<DemoOptions, 'url' | 'urlSource'>, cause: string): string {
  const from =
    options.urlSource === 'default'
      ? ' (the default; npm start listens on PORT, 8080 unless set)'
      : ` (from ${options.urlSource})`;
  return [
    `No EvalForge API answers at ${options.url}${from}: GET /v1/health ${cause}.`,
    'Start it first, in another terminal:  npm start',
    'then run npm run demo again (with the same PORT, or --url, if npm start uses another port).',
  ].join('\n');
}

/** Why the demo cannot start without a key file. */
export function missingKeyFileMessage(path: string, cause: string): string {
  return [
    `No API key: ${path} ${cause}.`,
    'npm start writes it at its first start. Start it first, in another terminal:  npm start',
    'with the same EVALFORGE_DATA_DIR as here, or pass --api-key (or set EVALFORGE_API_KEY).',
  ].join('\n');
}

/** What to do when the API does not know the key (401). */
export function unauthorizedMessage(key: KeySource, url: string, reason: string): string {
  const fix =
    key.kind === 'file'
      ? [
          `The key file may be left from another data directory or an earlier EvalForge. Delete ${key.path}`,
          'and restart npm start (it writes a new key there), or set EVALFORGE_API_KEY to the same key for',
          'both npm start and npm run demo.',
        ]
      : [
          'Start npm start with the same EVALFORGE_API_KEY (it registers that key), or create a key with',
          'npm run keys -- create --project dev, or leave EVALFORGE_API_KEY unset to use the key npm start',
          `wrote to ${join(DEMO_DEFAULTS.dataDir, DEV_KEY_FILE)}.`,
        ];
  return [`The API at ${url} refused the API key (${describeKeySource(key)}): ${reason}`, ...fix].join('\n');
}
