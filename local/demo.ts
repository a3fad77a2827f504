import { UsageError } from '../cli/flags.js';
import { isMainModule } from '../cli/main-module.js';
import type { FailedCall, ModelUsage, Summary } from '../functions/query/queries.js';
import { eventGenerator } from '../lib/workloads/event-generator.js';
import { type ClientStats, EvalForgeClient, newSpanId, newTraceId } from '../sdk/index.js';
import { fetchFailure, readApiKey } from './api-target.js';
import {
  curlCommands,
  DEMO_DEFAULTS,
  DEMO_USAGE,
  type DemoOptions,
  describeKeySource,
  eventsDue,
  formatCount,
  formatModelTable,
  formatProgress,
  formatSummary,
  missingKeyFileMessage,
  notRunningMessage,
  parseDemoArgs,
  plannedEvents,
  unauthorizedMessage,
} from './demo-core.js';

/**
 * `npm run demo`: realistic traffic through the SDK to a running `npm start`, then the numbers
 * read back from the query API, so a first-time user sees the whole loop.
 */

/** Where the demo writes; `signal` aborting is Ctrl-C: stop sending, deliver, summarise. */
export interface DemoIo {
  out(line: string): void;
  err(line: string): void;
  readonly signal?: AbortSignal;
}

export interface DemoResult {
  /** 0 done (stopped early included); 1 the API did not answer, refused the key, or stopped answering. */
  readonly exitCode: 0 | 1;
  /** The SDK client's counters; absent when no event was sent. */
  readonly stats?: ClientStats;
  /** Whether ClickHouse was seen holding every event the API accepted. */
  readonly loaded?: boolean;
}

const HEALTH_TIMEOUT_MS = 3_000;
const QUERY_TIMEOUT_MS = 10_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** How long to wait for ClickHouse to show every accepted event. */
const FRESHNESS_TIMEOUT_MS = 15_000;
const FRESHNESS_POLL_MS = 250;
const MINUTE_MS = 60_000;

type Answer<T> =
  | { readonly ok: true; readonly body: T }
  | { readonly ok: false; readonly status?: number; readonly message: string };

/** GET of a query route; an error answer's message is the API's own. */
async function getJson<T>(url: string, apiKey: string, path: string): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      headers: { authorization: `Bearer ${apiKey}` },
      signal: AbortSignal.timeout(QUERY_TIMEOUT_MS),
    });
  } catch (error) {
    return { ok: false, message: `GET ${path.split('?')[0]} ${fetchFailure(error)}` };
  }
  const text = await response.text();
  if (response.ok) return { ok: true, body: JSON.parse(text) as T };
  let message = `HTTP ${response.status}`;
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not an EvalForge answer (a proxy's page, say): the status says enough.
  }
  return { ok: false, status: response.status, message };
}

const iso = (ms: number) => new Date(ms).toISOString();
/** The end of the minute in progress: the query API reads minute rollups. */
const minuteEnd = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS + MINUTE_MS;

/**
 * Runs the demo against `options.url`: checks the API and the key, sends `ratePerSec` events per
 * second for `durationSec` through `EvalForgeClient` (in slices every 100 ms), prints progress,
 * then waits for ClickHouse to hold what was accepted and prints the per-model table, the
 * summary and the curl commands to go further.
 */
export async function runDemo(options: DemoOptions, io: DemoIo): Promise<DemoResult> {
  const { url } = options;
  try {
    const health = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    if (!health.ok) {
      io.err(notRunningMessage(options, `answered HTTP ${health.status}`));
      return { exitCode: 1 };
    }
  } catch (error) {
    io.err(notRunningMessage(options, fetchFailure(error)));
    return { exitCode: 1 };
  }
  const key = await readApiKey(options.key);
  if (!key.ok) {
    io.err(missingKeyFileMessage(key.path, key.cause));
    return { exitCode: 1 };
  }
  const apiKey = key.key;

  // Totals of this run are read over whole minutes from the one it starts in: what that minute
  // held before is the baseline.
  const runFrom = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const runWindow = () => `from=${iso(runFrom)}&to=${iso(minuteEnd(Date.now()))}`;
  const before = await getJson<{ project: string; summary: Summary }>(
    url,
    apiKey,
    `/v1/summary?${runWindow()}`,
  );
  if (!before.ok) {
    io.err(
      before.status === 401
        ? unauthorizedMessage(options.key, url, before.message)
        : `The query API at ${url} could not be read: ${before.message}`,
    );
    return { exitCode: 1 };
  }
  const baseline = before.body.summary.requests;

  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const planned = plannedEvents(options.ratePerSec, options.durationSec);
  io.out(
    `EvalForge demo: ${formatCount(options.ratePerSec)} events/s for ${formatCount(options.durationSec)} s ` +
      `(${formatCount(planned)} events) to ${url}, project "${before.body.project}", seed ${seed}`,
  );
  io.out(`API key ${describeKeySource(options.key)}. Ctrl-C stops sending and prints what arrived.`);
  io.out('');

  let refused: string | undefined;
  let lastError: string | undefined;
  const client = new EvalForgeClient({
    apiKey,
    endpoint: url,
    onDrop: ({ status, reason }) => {
      if (status === 401 || status === 403) refused ??= reason;
    },
    onError: (error) => {
      lastError = error.message;
    },
  });
  const generator = eventGenerator({ seed });

  const progressIntervalMs = options.progressIntervalMs ?? DEMO_DEFAULTS.progressIntervalMs;
  const started = performance.now();
  let captured = 0;
  let lastProgress = { at: started, accepted: 0 };
  let progress: Promise<void> = Promise.resolve();
  const reportProgress = async (): Promise<void> => {
    const now = performance.now();
    const stats = client.stats();
    const seconds = (now - lastProgress.at) / 1_000;
    const acceptedPerSec = seconds > 0 ? (stats.sent - lastProgress.accepted) / seconds : 0;
    lastProgress = { at: now, accepted: stats.sent };
    const recent = await getJson<{ summary: Summary }>(url, apiKey, '/v1/summary?window=5m');
    const error = lastError;
    lastError = undefined;
    io.out(
      formatProgress({
        elapsedMs: now - started,
        captured,
        accepted: stats.sent,
        acceptedPerSec,
        dropped: stats.dropped,
        readBack: recent.ok ? recent.body.summary : recent.message,
      }) + (error === undefined ? '' : ` · last error: ${error}`),
    );
  };

  const stoppedEarly = await new Promise<boolean>((done) => {
    let nextProgressAt = progressIntervalMs;
    const finish = (early: boolean) => {
      clearInterval(timer);
      io.signal?.removeEventListener('abort', onAbort);
      done(early);
    };
    const onAbort = () => finish(true);
    const slice = () => {
      if (refused !== undefined) return finish(true);
      const elapsed = performance.now() - started;
      const due = eventsDue(options.ratePerSec, elapsed, planned, captured);
      for (let i = 0; i < due; i++) {
        // Fresh ids for every run: the seed repeats the calls, not their identities.
        client.capture(generator.next({ trace_id: newTraceId(), span_id: newSpanId() }));
      }
      captured += due;
      if (elapsed >= nextProgressAt) {
        nextProgressAt += progressIntervalMs;
        // One read at a time; a slow query API must not stall the sending.
        progress = progress.then(reportProgress);
      }
      if (captured >= planned) finish(false);
    };
    const timer = setInterval(slice, DEMO_DEFAULTS.sliceMs);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    if (io.signal?.aborted) finish(true);
  });
  if (stoppedEarly && refused === undefined)
    io.out('Stopped sending; delivering what was captured (Ctrl-C again quits at once)…');
  await client.shutdown({ timeoutMs: SHUTDOWN_TIMEOUT_MS });
  const sentAt = performance.now();
  await progress;
  const stats = client.stats();

  io.out('');
  const dropped = Object.entries(stats.droppedByCode)
    .map(([code, count]) => `${formatCount(count ?? 0)} ${code}`)
    .join(', ');
  io.out(
    `Sent ${formatCount(captured)} events in ${((sentAt - started) / 1_000).toFixed(1)} s: ` +
      `${formatCount(stats.sent)} accepted by the API in ${formatCount(stats.requests)} requests` +
      (stats.dropped > 0 ? `, ${formatCount(stats.dropped)} dropped (${dropped})` : '') +
      (stats.retries > 0 ? `, ${formatCount(stats.retries)} retries` : '') +
      '.',
  );
  if (refused !== undefined) {
    io.err(unauthorizedMessage(options.key, url, refused));
    return { exitCode: 1, stats };
  }

  // The loader takes a moment: wait until the rollup counts everything accepted.
  const expected = baseline + stats.sent;
  const deadline = Date.now() + FRESHNESS_TIMEOUT_MS;
  let seen = 0;
  for (;;) {
    const now = await getJson<{ summary: Summary }>(url, apiKey, `/v1/summary?${runWindow()}`);
    if (!now.ok && now.status === undefined) {
      io.err(
        `The API at ${url} stopped answering (${now.message}). Whatever it accepted is loaded into ` +
          'ClickHouse when npm start drains or starts again; run npm start and npm run demo again to see it.',
      );
      return { exitCode: 1, stats, loaded: false };
    }
    if (now.ok) seen = now.body.summary.requests;
    if (seen >= expected || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, FRESHNESS_POLL_MS));
  }
  const loaded = seen >= expected;
  const lagSec = ((performance.now() - sentAt) / 1_000).toFixed(1);
  io.out(
    loaded
      ? `ClickHouse holds all ${formatCount(stats.sent)} accepted events, ${lagSec} s after the last was accepted.`
      : `ClickHouse holds ${formatCount(Math.max(0, seen - baseline))} of the ${formatCount(stats.sent)} accepted events after ${lagSec} s; ` +
          'npm start keeps loading the rest (its status line shows the lag).',
  );

  const [models, totals, failed] = await Promise.all([
    getJson<{ models: ModelUsage[] }>(url, apiKey, '/v1/models?window=15m'),
    getJson<{ summary: Summary }>(url, apiKey, '/v1/summary?window=15m'),
    getJson<{ calls: FailedCall[] }>(url, apiKey, '/v1/calls/failed?window=15m&limit=1'),
  ]);
  io.out('');
  io.out('Last 15 minutes, per model (GET /v1/models?window=15m):');
  for (const line of models.ok ? formatModelTable(models.body.models) : [models.message]) io.out(`  ${line}`);
  io.out('');
  io.out('Last 15 minutes, all models (GET /v1/summary?window=15m):');
  for (const line of totals.ok ? formatSummary(totals.body.summary) : [totals.message]) io.out(`  ${line}`);
  io.out('');
  io.out('Query further:');
  const traceId = failed.ok ? failed.body.calls[0]?.trace_id : undefined;
  for (const line of curlCommands(url, options.key, traceId)) io.out(`  ${line}`);
  return { exitCode: 0, stats, loaded };
}

async function main(): Promise<number> {
  let command: ReturnType<typeof parseDemoArgs>;
  try {
    command = parseDemoArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`evalforge demo: ${error.message}\n\n${DEMO_USAGE}`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }
  const stop = new AbortController();
  process.on('SIGINT', () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  });
  const result = await runDemo(command.options, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    signal: stop.signal,
  });
  return result.exitCode;
}

if (isMainModule(import.meta.url)) {
  main()
    .then((code) => process.exit(code))
    .catch((error: unknown) => {
      console.error(`evalforge demo: ${(error as Error).stack ?? String(error)}`);
      process.exit(1);
    });
}
