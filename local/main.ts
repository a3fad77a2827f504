import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import { HELP_FLAG, parseFlags, stringFlags, UsageError } from '../cli/flags.js';
import { shellWord } from '../cli/shell-word.js';
import { onStopSignals } from '../cli/stop-signals.js';
import { REGION_PATTERN } from '../functions/shared/auth/api-keys.js';
import { jsonText } from '../functions/shared/read-env.js';
import { describeZodIssues } from '../functions/shared/zod-issues.js';
import { NPM_START_DEFAULTS } from './api-target.js';
import {
  LOCAL_COLD_STORAGE,
  LOCAL_RETENTION,
  RETENTION_FLAGS,
  type RetentionFlag,
  retentionFromFlags,
} from './cold-storage.js';
import { READY_LINE, seconds, statusLine, stoppedLine } from './status-line.js';

/**
 * `npm start`: EvalForge on one machine, with no AWS account. Settings come from the environment:
 * EVALFORGE_DATA_DIR (default ./.evalforge), PORT (default 8080), EVALFORGE_API_KEY (optional);
 * ClickHouse's retention from flags (`npm start -- --hot-days 0`). A region of the local
 * simulation across regions (`npm run regions`) also gets EVALFORGE_REGION, EVALFORGE_KEYS_FILE,
 * EVALFORGE_KINESIS_PORT and EVALFORGE_REGION_STREAMS.
 */
const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a port number` })
    .int(`${name} must be a whole number`)
    .min(0, `${name} must be 0–65535`)
    .max(65_535, `${name} must be 0–65535`);
const region = z.string().regex(REGION_PATTERN, 'must be an AWS region name like eu-west-1');

/** `{"eu-west-1":"http://127.0.0.1:4567"}`: each other region's local Kinesis endpoint. */
const RegionStreams = jsonText('must be a JSON object of region → Kinesis endpoint URL').pipe(
  z.record(region, z.url({ protocol: /^https?$/, error: 'must be an http URL' })),
);

const Env = z.object({
  EVALFORGE_DATA_DIR: z.string().min(1).default(NPM_START_DEFAULTS.dataDir),
  PORT: port('PORT').default(NPM_START_DEFAULTS.port),
  EVALFORGE_API_KEY: z.string().min(1).optional(),
  EVALFORGE_SHARDS: z.coerce.number().int().min(1).max(16).default(4),
  /** Seconds between status lines. */
  EVALFORGE_STATUS_INTERVAL: z.coerce.number().min(1).default(10),
  /** The region this process plays; unset, it is the only one. */
  EVALFORGE_REGION: region.optional(),
  /** The key file every region shares. */
  EVALFORGE_KEYS_FILE: z.string().min(1).optional(),
  EVALFORGE_KINESIS_PORT: port('EVALFORGE_KINESIS_PORT').default(0),
  EVALFORGE_REGION_STREAMS: RegionStreams.optional(),
});

const USAGE = `usage: npm start [-- options]

ClickHouse keeps events on its hot volume (the data directory), then on its cold volume (bucket
${LOCAL_COLD_STORAGE.bucket} of the local S3 API), then deletes them. Defaults are tier 1's.
  --hot-days N            days on the hot volume (default ${LOCAL_RETENTION.hotDays}; 0 moves every part at once)
  --warm-days N           days on the cold volume after that (default ${LOCAL_RETENTION.warmDays})
  --bodies-days N         days prompt and response are kept (default ${LOCAL_RETENTION.bodiesDays})
  --minute-rollup-days N  days the per-minute rollup keeps (default ${LOCAL_RETENTION.minuteRollupDays})
  --hour-rollup-days N    days the per-hour rollup keeps (default ${LOCAL_RETENTION.hourRollupDays})
Environment: EVALFORGE_DATA_DIR, PORT, EVALFORGE_API_KEY, EVALFORGE_SHARDS, EVALFORGE_STATUS_INTERVAL;
as a region of \`npm run regions\`: EVALFORGE_REGION, EVALFORGE_KEYS_FILE, EVALFORGE_KINESIS_PORT,
EVALFORGE_REGION_STREAMS (a JSON object: region → that region's local Kinesis endpoint).`;

function log(line: string): void {
  console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
}

async function main(): Promise<void> {
  const { values: flags } = parseFlags({
    options: { ...HELP_FLAG, ...stringFlags(...(Object.keys(RETENTION_FLAGS) as RetentionFlag[])) },
    allowPositionals: false,
  });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const retention = retentionFromFlags(flags);
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(describeZodIssues(parsed.error));
  }
  const env = parsed.data;
  if (env.EVALFORGE_REGION_STREAMS !== undefined && env.EVALFORGE_REGION === undefined) {
    throw new Error('EVALFORGE_REGION_STREAMS needs EVALFORGE_REGION: the region this process plays');
  }
  // The Lambda handlers log JSON and emit CloudWatch metrics to stdout; here the status line says
  // what matters, and only their warnings and errors are worth a line.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  // The lock file pins the SDK's version, so its notice about future versions' Node support is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { startPipeline } = await import('./pipeline.js');

  log('starting EvalForge…');
  const pipeline = await startPipeline({
    dataDir: resolve(env.EVALFORGE_DATA_DIR),
    port: env.PORT,
    shards: env.EVALFORGE_SHARDS,
    apiKey: env.EVALFORGE_API_KEY,
    retention,
    kinesisPort: env.EVALFORGE_KINESIS_PORT,
    ...(env.EVALFORGE_REGION === undefined ? {} : { region: env.EVALFORGE_REGION }),
    ...(env.EVALFORGE_KEYS_FILE === undefined ? {} : { keysFile: resolve(env.EVALFORGE_KEYS_FILE) }),
    ...(env.EVALFORGE_REGION_STREAMS === undefined ? {} : { regionStreams: env.EVALFORGE_REGION_STREAMS }),
    log,
  });
  const { url, devKey } = pipeline;
  const curlAuth = `-H "Authorization: Bearer $(cat ${shellWord(devKey.file)})"`;
  console.log(`
${READY_LINE}.
  API (ingest + query)  ${url}      POST /v1/events · GET /v1/metrics?window=1h · GET /v1/health
  Dashboard             ${url}/     in a browser, with the API key below
  Local Kinesis API     ${pipeline.kinesisEndpoint}   stream evalforge-events${pipeline.region === undefined ? '' : ', evalforge-transit'}
  Local S3 API          ${pipeline.s3Endpoint}   bucket evalforge-archive (raw archive)
  ClickHouse            embedded, in ${pipeline.dataDir}/clickhouse; parts older than ${pipeline.retention.hotDays ?? 0} days move to
                        bucket ${pipeline.coldStorage.bucket} (${pipeline.coldStorage.prefix}) of the local S3 API
  Pipeline figures      ${url}/metrics   Prometheus text format, with an API key as bearer token
  Data directory        ${pipeline.dataDir}${pipeline.region === undefined ? '' : `\n  Region                ${pipeline.region}: projects homed elsewhere go through evalforge-transit to their region; keys in ${pipeline.keysFile}`}

API key for project "${devKey.projectId}" (${devKey.source === 'new' ? 'created now' : devKey.source === 'env' ? 'from EVALFORGE_API_KEY' : 'from an earlier start'}), saved in ${devKey.file}:
  ${devKey.key}

Send an event, then read it back:
  curl -s ${url}/v1/events ${curlAuth} -H 'content-type: application/json' \\
    -d '{"events":[{"trace_id":"${randomBytes(16).toString('hex')}","span_id":"${randomBytes(8).toString('hex')}","timestamp":"${new Date().toISOString()}","model":"gpt-4o-mini","latency_ms":420,"input_tokens":12,"output_tokens":30,"prompt":"hi","response":"hello"}]}'
  curl -s "${url}/v1/metrics?window=1h" ${curlAuth}

Or send realistic traffic for a minute: npm run demo.   Ctrl-C stops, after loading what was accepted.
`);

  let last = pipeline.stats();
  let lastAt = Date.now();
  const status = setInterval(() => {
    const now = Date.now();
    const stats = pipeline.stats();
    const line = statusLine(stats, last, (now - lastAt) / 1_000);
    if (line !== undefined) log(line);
    const forwarded = stats.forwarder;
    if (forwarded && (forwarded.records !== last.forwarder?.records || forwarded.lagMs > 0)) {
      log(
        `forwarder: ${forwarded.records} records to their home regions in all, lag ${seconds(forwarded.lagMs)}, ${forwarded.retries} retries`,
      );
    }
    last = stats;
    lastAt = now;
  }, env.EVALFORGE_STATUS_INTERVAL * 1_000);

  const stopNow = (signal: string) => {
    log(`${signal} again: stopping now; what was accepted and not yet loaded is loaded at the next start`);
    void pipeline.close({ drain: false }).finally(() => process.exit(130));
  };
  const stop = (signal: string) => {
    clearInterval(status);
    const stats = pipeline.stats();
    log(
      `${signal}: no longer accepting requests; loading and archiving what was accepted (ClickHouse lag ${seconds(stats.loaderLagMs)}). Press Ctrl-C again to stop at once.`,
    );
    pipeline
      .close({ drain: true })
      .then(() => {
        log(stoppedLine(pipeline.stats()));
        process.exit(0);
      })
      .catch((error: unknown) => {
        console.error(`evalforge: stopping failed: ${(error as Error).message}`);
        process.exit(1);
      });
  };
  onStopSignals({ first: stop, again: stopNow });
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`evalforge: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(
      `evalforge: port ${process.env.PORT ?? 8080} is in use (another npm start?); stop that process or set PORT to a free port`,
    );
    process.exit(1);
  }
  console.error(`evalforge: ${(error as Error).message}`);
  process.exit(1);
});
