import { HELP_FLAG, parseFlags, readNumber, stringFlags, UsageError } from '../cli/flags.js';
import { INGEST_LIMITS } from '../functions/shared/contract/ingest-api.js';
import { SIZING_ASSUMPTIONS, TIERS, type TierId } from '../lib/tiers.js';
import { NPM_START_DEFAULTS } from '../local/api-target.js';
import { CLIENT_DEFAULTS } from '../sdk/client.js';
import type { BatchLimits } from './planner.js';
import {
  constantScenario,
  SCENARIO_SHAPE,
  type Scenario,
  scenarioEvents,
  TIER_SCENARIOS,
  tierScenario,
} from './scenarios.js';

/** `npm run load -- …`: the arguments, checked, with every bad one named. */

export const LOAD_USAGE = `Usage: npm run load -- [target] (--rate <events/s> | --tier <1-4>) [options]

Target (default: --target local, which starts npm start for the run):
  --target local|url      local: npm start, started for the run, or already running at --url;
                          url: a deployed endpoint at --url
  --url <base url>        http://127.0.0.1:8080 or https://ingest.<region>.<domain>
  --api-key <key>         one per project (repeat it); with --target local --url and no key,
                          keys are made in the running pipeline's --data-dir
  --data-dir <dir>        the local pipeline's data directory (default: a new temporary one
                          for a started pipeline, .evalforge for a running one)

Load:
  --rate <events/s>       a constant rate (scenario "constant")
  --tier <1-4>            a tier's scenario, from its ceiling in lib/tiers.ts
  --scenario <name>       with --tier: ceiling (default), ramp (finds the knee), burst
  --scale <fraction>      run the tier's shape at this fraction of its rate (0.01: tier 4 at 2,000/s)
  --duration <seconds>    default: 60; ramp 180; burst 90
  --projects <n>          projects (one API key each); default 3, or 2 per ClickHouse shard of the tier

Requests:
  --batch <events>        events per request (default ${CLIENT_DEFAULTS.maxBatchEvents}, as the SDK)
  --gzip-level <0-9>      default ${CLIENT_DEFAULTS.gzipLevel}, as the SDK
  --sizes spread|fixed    event sizes around 5.3 KB with a spread (default), or all the same
  --connections <n>       sockets per project (default 64)
  --max-in-flight <n>     requests open at once before due ones are counted unsent (default 1024)
  --retries <n>           retries of a request, as the SDK (default ${CLIENT_DEFAULTS.maxRetries})
  --timeout <ms>          per request (default ${CLIENT_DEFAULTS.requestTimeoutMs})
  --generate auto|ahead|live  make and compress every request before the clock starts (ahead),
                          or as it runs (live); auto: ahead when it fits in 512 MiB
  --seed <n>              the event text's seed (default 1)

Report:
  --no-probes             no freshness probes (one event a second read back by trace id)
  --no-verify             skip counting the run's events in ClickHouse
  --verify-timeout <s>    how long to wait for the pipeline to catch up (default 120)
  --p99-limit <ms>        the knee rule's latency bound for a ramp (default 1000)
  --json                  print the JSON report on stdout (the text goes to stderr)
  --json-out <file>       also write the JSON report to a file
  -h, --help
`;

export interface LoadOptions {
  readonly target:
    | { readonly kind: 'start'; readonly dataDir?: string }
    | {
        readonly kind: 'running';
        readonly url: string;
        readonly apiKeys: readonly string[];
        readonly dataDir: string;
      }
    | { readonly kind: 'url'; readonly url: string; readonly apiKeys: readonly string[] };
  readonly scenario: Scenario;
  readonly limits: BatchLimits;
  readonly gzipLevel: number;
  readonly sizes: 'fixed' | 'spread';
  readonly connections: number;
  readonly maxInFlight: number;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  readonly generate: 'ahead' | 'live';
  readonly seed: number;
  readonly probes: boolean;
  readonly verify: boolean;
  readonly verifyTimeoutMs: number;
  readonly p99LimitMs: number;
  readonly json: boolean;
  readonly jsonOut?: string;
}

/** Ahead generation keeps every compressed request in memory: up to this much. */
export const AHEAD_MAX_BYTES = 512 * 1024 * 1024;
/** Requests stay this far under the API's 1 MB body limit, as the SDK keeps them. */
const BODY_TARGET_BYTES = Math.floor(INGEST_LIMITS.maxBodyBytes * 0.9);

function number(
  name: string,
  text: string | undefined,
  fallback: number,
  rule: { min: number; max: number; integer?: boolean },
): number {
  if (text === undefined) return fallback;
  const value = readNumber(text, rule);
  const kind = rule.integer ? 'a whole number' : 'a number';
  if (value === undefined) {
    throw new UsageError(
      `--${name}: must be ${kind} from ${rule.min} to ${rule.max}; got ${JSON.stringify(text)}`,
    );
  }
  if (value < rule.min || value > rule.max) {
    throw new UsageError(`--${name}: must be ${kind} from ${rule.min} to ${rule.max}; got ${text}`);
  }
  return value;
}

function oneOf<T extends string>(
  name: string,
  text: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`--${name}: must be one of ${allowed.join(', ')}; got ${JSON.stringify(text)}`);
  }
  return text as T;
}

function baseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--url: must be an http or https URL like http://127.0.0.1:8080; got ${JSON.stringify(text)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url: must be http or https; got ${url.protocol}`);
  }
  if (url.pathname !== '/' || url.search !== '') {
    throw new UsageError(`--url: give the base URL without a path (the load adds /v1/events); got ${text}`);
  }
  return url.origin;
}

const OPTIONS = {
  ...stringFlags('target', 'url', 'data-dir', 'rate', 'tier', 'scenario', 'scale', 'duration', 'projects'),
  'api-key': { type: 'string', multiple: true },
  ...stringFlags('batch', 'gzip-level', 'sizes', 'connections', 'max-in-flight', 'retries', 'timeout'),
  ...stringFlags('generate', 'seed', 'verify-timeout', 'p99-limit', 'json-out'),
  'no-probes': { type: 'boolean' },
  'no-verify': { type: 'boolean' },
  json: { type: 'boolean' },
  ...HELP_FLAG,
} as const;

/** `'help'` when help was asked for. */
export function parseLoadOptions(argv: readonly string[]): LoadOptions | 'help' {
  const parsed = parseFlags({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  const v = parsed.values;
  if (v.help) return 'help';
  if (parsed.positionals.length > 0) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(parsed.positionals[0])}; options start with --`,
    );
  }

  // The load: a constant rate, or a tier's scenario.
  if ((v.rate === undefined) === (v.tier === undefined)) {
    throw new UsageError(
      v.rate === undefined ? 'give --rate <events/s> or --tier <1-4>' : 'give --rate or --tier, not both',
    );
  }
  const durationSec =
    v.duration === undefined
      ? undefined
      : number('duration', v.duration, 60, { min: 1, max: 86_400, integer: true });
  let scenario: Scenario;
  if (v.rate !== undefined) {
    for (const name of ['scenario', 'scale'] as const) {
      if (v[name] !== undefined) throw new UsageError(`--${name}: goes with --tier, not --rate`);
    }
    const rate = number('rate', v.rate, 0, { min: 1, max: 10_000_000 });
    const projects = number('projects', v.projects, SCENARIO_SHAPE.minProjects, {
      min: 1,
      max: 1_000,
      integer: true,
    });
    scenario = constantScenario(rate, durationSec ?? SCENARIO_SHAPE.defaultDurationSec.constant, projects);
  } else {
    const tier = number('tier', v.tier, 1, { min: 1, max: 4, integer: true }) as TierId;
    const name = oneOf('scenario', v.scenario, TIER_SCENARIOS, 'ceiling');
    const scale = number('scale', v.scale, 1, { min: 0.000_001, max: 10 });
    const projects =
      v.projects === undefined
        ? undefined
        : number('projects', v.projects, 3, { min: 1, max: 1_000, integer: true });
    scenario = tierScenario(tier, name, {
      scale,
      ...(durationSec === undefined ? {} : { durationSec }),
      ...(projects === undefined ? {} : { projects }),
    });
    if (TIERS[tier].ceilingEventsPerSec * scale < 1) {
      throw new UsageError(`--scale: ${scale} × tier ${tier}'s ceiling is under one event a second`);
    }
  }

  // The target.
  const apiKeys = v['api-key'] ?? [];
  const kind = oneOf('target', v.target, ['local', 'url'] as const, v.url === undefined ? 'local' : 'url');
  let target: LoadOptions['target'];
  if (kind === 'url') {
    if (v.url === undefined) throw new UsageError('--url: required with --target url');
    if (apiKeys.length === 0) throw new UsageError('--api-key: give one key per project for --target url');
    if (v['data-dir'] !== undefined) throw new UsageError('--data-dir: only for --target local');
    target = { kind: 'url', url: baseUrl(v.url), apiKeys };
  } else if (v.url !== undefined) {
    target = {
      kind: 'running',
      url: baseUrl(v.url),
      apiKeys,
      dataDir: v['data-dir'] ?? NPM_START_DEFAULTS.dataDir,
    };
  } else {
    if (apiKeys.length > 0)
      throw new UsageError(
        '--api-key: a pipeline the load starts gets keys of its own; give --url for a running one',
      );
    target = { kind: 'start', ...(v['data-dir'] === undefined ? {} : { dataDir: v['data-dir'] }) };
  }
  if (apiKeys.length > 0) {
    if (v.projects !== undefined && Number(v.projects) !== apiKeys.length) {
      throw new UsageError(
        `--projects: ${v.projects} projects but ${apiKeys.length} --api-key given; one key per project`,
      );
    }
    scenario = { ...scenario, projects: apiKeys.length };
  }

  const maxEvents = number('batch', v.batch, CLIENT_DEFAULTS.maxBatchEvents, {
    min: 1,
    max: INGEST_LIMITS.maxEventsPerRequest,
    integer: true,
  });
  const generateChoice = oneOf('generate', v.generate, ['auto', 'ahead', 'live'] as const, 'auto');
  const aheadBytes =
    (scenarioEvents(scenario) * SIZING_ASSUMPTIONS.eventBytes) / SIZING_ASSUMPTIONS.gzipRatio;
  if (generateChoice === 'ahead' && aheadBytes > AHEAD_MAX_BYTES) {
    throw new UsageError(
      `--generate: ahead would hold ~${Math.round(aheadBytes / 2 ** 20)} MiB of requests in memory, over ${AHEAD_MAX_BYTES / 2 ** 20} MiB; use live, or a shorter run`,
    );
  }
  const generate =
    generateChoice === 'auto' ? (aheadBytes <= AHEAD_MAX_BYTES ? 'ahead' : 'live') : generateChoice;

  return {
    target,
    scenario,
    limits: {
      maxEvents,
      maxRawBytes: BODY_TARGET_BYTES * SIZING_ASSUMPTIONS.gzipRatio,
      flushIntervalMs: CLIENT_DEFAULTS.flushIntervalMs,
    },
    gzipLevel: number('gzip-level', v['gzip-level'], CLIENT_DEFAULTS.gzipLevel, {
      min: 0,
      max: 9,
      integer: true,
    }),
    sizes: oneOf('sizes', v.sizes, ['spread', 'fixed'] as const, 'spread'),
    connections: number('connections', v.connections, 64, { min: 1, max: 10_000, integer: true }),
    maxInFlight: number('max-in-flight', v['max-in-flight'], 1_024, { min: 1, max: 100_000, integer: true }),
    maxRetries: number('retries', v.retries, CLIENT_DEFAULTS.maxRetries, { min: 0, max: 100, integer: true }),
    timeoutMs: number('timeout', v.timeout, CLIENT_DEFAULTS.requestTimeoutMs, {
      min: 100,
      max: 600_000,
      integer: true,
    }),
    generate,
    seed: number('seed', v.seed, 1, { min: 0, max: 2 ** 32 - 1, integer: true }),
    probes: !v['no-probes'],
    verify: !v['no-verify'],
    verifyTimeoutMs: number('verify-timeout', v['verify-timeout'], 120, { min: 1, max: 86_400 }) * 1_000,
    p99LimitMs: number('p99-limit', v['p99-limit'], 1_000, { min: 1, max: 3_600_000 }),
    json: Boolean(v.json),
    ...(v['json-out'] === undefined ? {} : { jsonOut: v['json-out'] }),
  };
}
