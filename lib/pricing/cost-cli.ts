/**
 * `npm run cost`: what each tier costs a month, from its own synthesized template, beside the design
 * document's figure for it.
 *
 *   npm run cost                                  every tier at its ceiling
 *   npm run cost -- --tier 3 --events-per-sec 20000 --event-kb 2.6 --compression 5 --batch 100
 *   npm run cost -- --json                        the same as JSON
 *   npm run cost -- --readme-table                the README's table
 *   npm run cost -- --no-write                    do not rewrite docs/cost-report.md and docs/cost-chart.svg
 *   npm run cost -- --hot-days 2 --warm-days 28 --bodies-days 3 --archive-expire-days 365
 *                   --archive-ia-days none --archive-deep-days 30 --archive-class deep-archive
 *                   --instance-family c8g --commitment 0.28 --loader-memory 512
 *                                                 the levers' alternatives (lib/pricing/levers.ts);
 *                                                 --compression is the compression lever's too
 *
 * The files always describe the four tiers at their ceilings under the sizing assumptions, whatever
 * the flags, so the committed report is reproducible. Exit 2 on a bad flag.
 */
import { writeFileSync } from 'node:fs';
import { parseFlags, stringFlags, UsageError } from '../../cli/flags.js';
import { isMainModule } from '../../cli/main-module.js';
import { synthesizeTierTemplates, type TierTemplates } from '../app.js';
import { TIER_IDS, TIERS, type TierId, type TierSpec } from '../tiers.js';
import { CostModelError } from './cost-model-error.js';
import type { TemplateJson } from './inventory.js';
import {
  ARCHIVE_CLASSES,
  type ArchiveClass,
  type ArchivePath,
  archivePathAlternative,
  checkArchivePath,
  INSTANCE_FAMILIES,
  type InstanceFamily,
  type LeverOptions,
} from './levers.js';
import type { Load } from './load.js';
import { measuredWorkloads } from './measured-workloads.js';
import { multiRegionCost, renderMultiRegionCost } from './multi-region-cost.js';
import { pricesFor } from './prices.js';
import { renderJson } from './render/json.js';
import { renderMarkdown } from './render/markdown.js';
import { renderReadmeTable } from './render/summary-table.js';
import { renderSvg } from './render/svg.js';
import { renderText } from './render/text.js';
import { renderReplayCosts, replayCost } from './replay-cost.js';
import { sensitivity, type TierReport, tierReport } from './report.js';
import { ceilingLoad } from './tier-cost.js';

const prices = pricesFor('us-east-1');

/** What the command line asks for. */
export interface CostOptions {
  readonly tier?: TierId;
  readonly eventsPerSec?: number;
  /** Decimal KB: the design document's 5.3 KB event is 5,300 bytes. */
  readonly eventKb?: number;
  readonly compression?: number;
  readonly batch?: number;
  readonly months: number;
  readonly json: boolean;
  readonly write: boolean;
  readonly readmeTable: boolean;
  /** The levers' alternatives the flags set (`--compression` sets both the load and its lever). */
  readonly levers?: LeverOptions;
}

const NUMBER = /^(?:\d+(?:\.\d+)?|\.\d+)$/;

function numberFlag(
  flag: string,
  raw: string | undefined,
  check: { integer?: boolean; min: number; minExclusive?: boolean; max?: number },
): number | undefined {
  if (raw === undefined) return undefined;
  const value = NUMBER.test(raw.trim()) ? Number(raw) : Number.NaN;
  const bound = check.minExclusive ? `> ${check.min}` : `≥ ${check.min}`;
  const what = `${check.integer ? 'an integer' : 'a number'} ${bound}${check.max === undefined ? '' : ` and ≤ ${check.max}`}`;
  const ok =
    Number.isFinite(value) &&
    (!check.integer || Number.isInteger(value)) &&
    (check.minExclusive ? value > check.min : value >= check.min) &&
    (check.max === undefined || value <= check.max);
  if (!ok) throw new UsageError(`--${flag} must be ${what}, got ${JSON.stringify(raw)}`);
  return value;
}

/** Reads the command line; throws a `UsageError` naming the flag for anything it cannot use. */
export function parseCostArgs(argv: readonly string[]): CostOptions {
  const { values } = parseFlags({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      ...stringFlags('tier', 'events-per-sec', 'event-kb', 'compression', 'batch', 'months'),
      ...stringFlags(
        'hot-days',
        'warm-days',
        'bodies-days',
        'archive-expire-days',
        'archive-ia-days',
        'archive-deep-days',
        'archive-class',
        'instance-family',
        'commitment',
        'loader-memory',
      ),
      json: { type: 'boolean' },
      'no-write': { type: 'boolean' },
      'readme-table': { type: 'boolean' },
    },
  });
  const str = (key: keyof typeof values): string | undefined => {
    const value = values[key];
    return typeof value === 'string' ? value : undefined;
  };
  const tierRaw = str('tier');
  if (tierRaw !== undefined && !/^[1-4]$/.test(tierRaw)) {
    throw new UsageError(`--tier must be 1, 2, 3 or 4, got ${JSON.stringify(tierRaw)}`);
  }
  const eventsPerSec = numberFlag('events-per-sec', str('events-per-sec'), { min: 0, minExclusive: true });
  const eventKb = numberFlag('event-kb', str('event-kb'), { min: 0, minExclusive: true, max: 1_000 });
  const compression = numberFlag('compression', str('compression'), { min: 1 });
  const batch = numberFlag('batch', str('batch'), { integer: true, min: 1, max: 10_000 });
  const months = numberFlag('months', str('months'), { integer: true, min: 1, max: 120 }) ?? 12;
  const familyRaw = str('instance-family');
  if (familyRaw !== undefined && !(INSTANCE_FAMILIES as readonly string[]).includes(familyRaw)) {
    throw new UsageError(
      `--instance-family must be ${INSTANCE_FAMILIES.join(', ')}, got ${JSON.stringify(familyRaw)}`,
    );
  }
  const days = (flag: string, min: number) =>
    numberFlag(flag, str(flag as keyof typeof values), { integer: true, min, max: 3_650 });
  const classRaw = str('archive-class');
  if (classRaw !== undefined && !(ARCHIVE_CLASSES as readonly string[]).includes(classRaw)) {
    throw new UsageError(
      `--archive-class must be ${ARCHIVE_CLASSES.join(', ')}, got ${JSON.stringify(classRaw)}`,
    );
  }
  const iaRaw = str('archive-ia-days');
  // `none`: no Standard-IA step; else S3's earliest day for it.
  const archiveIaDays = iaRaw?.trim() === 'none' ? null : days('archive-ia-days', 30);
  const leverOptions: LeverOptions = {
    ...(compression !== undefined && { compression }),
    ...optional('hotDays', days('hot-days', 0)),
    ...optional('warmDays', days('warm-days', 0)),
    ...optional('bodiesDays', days('bodies-days', 0)),
    // S3 expiry is at least a day.
    ...optional('archiveExpireDays', days('archive-expire-days', 1)),
    ...(archiveIaDays !== undefined && { archiveIaDays }),
    ...optional('archiveColdDays', days('archive-deep-days', 0)),
    ...(classRaw !== undefined && { archiveClass: classRaw as ArchiveClass }),
    ...(familyRaw !== undefined && { instanceFamily: familyRaw as InstanceFamily }),
    ...optional('commitment', numberFlag('commitment', str('commitment'), { min: 0, max: 0.99 })),
    // Lambda's memory range.
    ...optional(
      'loaderMemoryMiB',
      numberFlag('loader-memory', str('loader-memory'), { integer: true, min: 128, max: 10_240 }),
    ),
  };
  checkArchiveFlags(tierRaw === undefined ? TIER_IDS : [Number(tierRaw) as TierId], leverOptions);
  return {
    ...(tierRaw !== undefined && { tier: Number(tierRaw) as TierId }),
    ...(eventsPerSec !== undefined && { eventsPerSec }),
    ...(eventKb !== undefined && { eventKb }),
    ...(compression !== undefined && { compression }),
    ...(batch !== undefined && { batch }),
    months,
    json: values.json === true,
    write: values['no-write'] !== true,
    readmeTable: values['readme-table'] === true,
    ...(Object.keys(leverOptions).length > 0 && { levers: leverOptions }),
  };
}

/**
 * The archive flags against S3's rules on each tier's own path (lib/tiers.ts, which its template
 * carries): what the archive path lever and the retention lever's expiry would refuse, as a
 * `UsageError` before anything is priced.
 */
function checkArchiveFlags(tiers: readonly TierId[], levers: LeverOptions): void {
  for (const tier of tiers) {
    const own = TIERS[tier].archive.lifecycle;
    const from: ArchivePath = {
      iaDays: own.infrequentAccessAfterDays,
      coldDays: own.deepArchiveAfterDays,
      coldClass: 'deep-archive',
      expireDays: own.expireAfterDays,
    };
    try {
      checkArchivePath(archivePathAlternative(from, levers));
      if (levers.archiveExpireDays !== undefined) {
        checkArchivePath({ ...from, expireDays: levers.archiveExpireDays }, 'expiry');
      }
    } catch (error) {
      if (!(error instanceof CostModelError)) throw error;
      throw new UsageError(`${error.message} (tier ${tier}'s archive path)`);
    }
  }
}

/** `{ [key]: value }` when the flag was given, else nothing to spread. */
function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** The load for a tier: its ceiling under the sizing assumptions, with the flags' overrides. */
export function loadFor(tier: TierId, options: Partial<CostOptions> = {}): Load {
  const base = ceilingLoad(tier);
  return {
    eventsPerSec: options.eventsPerSec ?? base.eventsPerSec,
    eventBytes: options.eventKb === undefined ? base.eventBytes : Math.round(options.eventKb * 1_000),
    gzipRatio: options.compression ?? base.gzipRatio,
    eventsPerRequest: options.batch ?? base.eventsPerRequest,
  };
}

/** Where each tier's template comes from: synthesized here, or given by the caller (the tests share one synthesis per run). */
export type TemplateSource = (tier: TierId) => TemplateJson;

/** Where each tier's templates (every region's, and the global stack's) come from. */
export type TemplatesSource = (tier: TierId) => TierTemplates;

const synthesized = new Map<TierId, TierTemplates>();
/** Each tier's templates, synthesized once per process. */
export function templatesFor(tier: TierId): TierTemplates {
  let templates = synthesized.get(tier);
  if (templates === undefined) {
    templates = synthesizeTierTemplates(tier);
    synthesized.set(tier, templates);
  }
  return templates;
}

/** Each tier's template (its primary region's), synthesized once per process. */
export function templateFor(tier: TierId): TemplateJson {
  const [primary] = templatesFor(tier).regional;
  if (primary === undefined) throw new Error(`tier ${tier} synthesized no stack`);
  return primary.template;
}

/**
 * The bill of each multi-region tier the options ask for, across its regions, as text: each
 * region's stack at its share of the load, the global stack and the inter-region transfer.
 */
export function multiRegionText(
  options: Partial<CostOptions> = {},
  templatesOf: TemplatesSource = templatesFor,
): string {
  const tiers = (options.tier === undefined ? TIER_IDS : [options.tier]).filter(
    (tier) => (TIERS[tier] as TierSpec).crossRegion !== undefined,
  );
  return tiers
    .map((tier) => {
      const { regional, global } = templatesOf(tier);
      if (global === undefined) throw new Error(`tier ${tier} spans regions but has no global stack`);
      return renderMultiRegionCost(
        multiRegionCost({ tier, regional, global, load: loadFor(tier, options), prices }),
      );
    })
    .join('\n');
}

/** The reports the options ask for. */
export function costReports(
  options: Partial<CostOptions> = {},
  templateOf: TemplateSource = templateFor,
): TierReport[] {
  const tiers = options.tier === undefined ? TIER_IDS : [options.tier];
  return tiers.map((tier) =>
    tierReport({
      tier,
      template: templateOf(tier),
      load: loadFor(tier, options),
      months: options.months ?? 12,
      prices,
      ...(options.levers !== undefined && { levers: options.levers }),
      workloads: measuredWorkloads(),
    }),
  );
}

/** Where `npm run cost` writes the report and its chart. */
export const REPORT_PATH = new URL('../../docs/cost-report.md', import.meta.url);
export const CHART_PATH = new URL('../../docs/cost-chart.svg', import.meta.url);

/** The committed files' contents: all four tiers at their ceilings, whatever the flags. */
export function renderFiles(templateOf: TemplateSource = templateFor): {
  markdown: string;
  svg: string;
  readmeTable: string;
} {
  const reports = costReports({}, templateOf);
  return {
    markdown: renderMarkdown(reports, sensitivity(3, templateOf(3), prices)),
    svg: renderSvg(reports),
    readmeTable: renderReadmeTable(reports),
  };
}

/** What `npm run cost -- --help` prints. */
export const COST_USAGE = `usage: npm run cost -- [options]
  prices every tier (or --tier N) from its own synthesized template, month 1 to the steady state,
  and rewrites docs/cost-report.md and docs/cost-chart.svg (every tier at its ceiling)

the load (default: each tier's ceiling, 5.3 KB events, 500 per request, gzip 3:1):
  --tier N                1-4
  --events-per-sec N      events a second
  --event-kb N            decimal KB per event
  --compression N         gzip ratio of a request body (also the compression lever)
  --batch N               events per request
  --months N              months of the projection (default 12)

levers (each priced against the tier as it is; see the report's Levers section):
  --hot-days N --warm-days N --bodies-days N --archive-expire-days N   retention
  --archive-ia-days N|none --archive-deep-days N --archive-class deep-archive|glacier-flexible|glacier-ir
                                  the archive path (default: straight to Deep Archive at 30 days;
                                  any of them given changes the tier's own path): Standard-IA from
                                  day 30 and for 30 days at least, the cold class 180 days (Deep
                                  Archive) or 90 before expiry
  --instance-family c5|c7g|c8g    the data nodes' family (Graviton is a what-if)
  --commitment RATE               a Savings Plans discount on EC2 and Lambda compute, 0-0.99
  --loader-memory MiB             the loader's memory

output:
  --json                  the figures as JSON
  --no-write              leave the docs files alone
  --readme-table          print the README's cost table only
  -h, --help              this text
`;

/** Runs the command; returns the exit code. */
export function main(
  argv: readonly string[],
  write: (text: string) => void = (t) => process.stdout.write(t),
  templateOf: TemplateSource = templateFor,
  templatesOf: TemplatesSource = templatesFor,
): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    write(COST_USAGE);
    return 0;
  }
  let options: CostOptions;
  try {
    options = parseCostArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`cost: ${error.message}\n`);
    return 2;
  }
  if (options.readmeTable) {
    write(`${renderReadmeTable(costReports({}, templateOf))}\n`);
    return 0;
  }
  const reports = costReports(options, templateOf);
  write(options.json ? renderJson(prices.region, reports) : renderText(reports));
  // A tier of several regions: the report above prices its primary region's stack at the whole
  // load; its bill is every region's at its share, the global stack and the forwarded events.
  if (!options.json) {
    const multiRegion = multiRegionText(options, templatesOf);
    if (multiRegion !== '') write(`\n${multiRegion}`);
  }
  // What replaying 1 TB of each tier's archive costs: a one-off, beside the monthly bill.
  if (!options.json)
    write(renderReplayCosts(reports.map((report) => replayCost(TIERS[report.tier], prices))));
  if (options.write) {
    const files = renderFiles(templateOf);
    writeFileSync(REPORT_PATH, files.markdown);
    writeFileSync(CHART_PATH, files.svg);
    if (!options.json)
      write('wrote docs/cost-report.md and docs/cost-chart.svg (every tier at its ceiling)\n');
  }
  return 0;
}

if (isMainModule(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
