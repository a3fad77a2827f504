/**
 * `npm run cost`: what each tier costs a month, from its own synthesized template, beside the design
 * document's figure for it.
 *
 *   npm run cost                                  every tier at its ceiling
 *   npm run cost -- --tier 3 --events-per-sec 20000 --event-kb 2.6 --compression 5 --batch 100
 *   npm run cost -- --json                        the same as JSON
 *   npm run cost -- --readme-table                the README's table
 *   npm run cost -- --no-write                    do not rewrite docs/cost-report.md and docs/cost-chart.svg
 *
 * The files always describe the four tiers at their ceilings under the sizing assumptions, whatever
 * the flags, so the committed report is reproducible. Exit 2 on a bad flag.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMainModule } from '../../cli/main-module.js';
import { synthesizeTierTemplate } from '../app.js';
import { SIZING_ASSUMPTIONS, TIER_IDS, TIERS, type TierId } from '../tiers.js';
import { COST_ASSUMPTIONS } from './cost-assumptions.js';
import type { CostLine } from './cost-line.js';
import type { MonthTotal } from './cost-model.js';
import type { TemplateJson } from './inventory.js';
import type { Load } from './load.js';
import { HOURS_PER_MONTH, PRICES, type Price, type RegionPrices } from './prices.js';
import { ceilingLoad, tierCost } from './tier-cost.js';

const prices = PRICES['us-east-1'] as RegionPrices;

/** Raised for a bad command line; the message names the flag. */
export class CostCliError extends Error {
  override name = 'CostCliError';
}

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
  if (!ok) throw new CostCliError(`--${flag} must be ${what}, got ${JSON.stringify(raw)}`);
  return value;
}

/** Reads the command line; throws `CostCliError` naming the flag for anything it cannot use. */
export function parseCostArgs(argv: readonly string[]): CostOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        tier: { type: 'string' },
        'events-per-sec': { type: 'string' },
        'event-kb': { type: 'string' },
        compression: { type: 'string' },
        batch: { type: 'string' },
        months: { type: 'string' },
        json: { type: 'boolean' },
        'no-write': { type: 'boolean' },
        'readme-table': { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new CostCliError((error as Error).message);
  }
  const str = (key: string): string | undefined => values[key] as string | undefined;
  const tierRaw = str('tier');
  if (tierRaw !== undefined && !/^[1-4]$/.test(tierRaw)) {
    throw new CostCliError(`--tier must be 1, 2, 3 or 4, got ${JSON.stringify(tierRaw)}`);
  }
  const eventsPerSec = numberFlag('events-per-sec', str('events-per-sec'), { min: 0, minExclusive: true });
  const eventKb = numberFlag('event-kb', str('event-kb'), { min: 0, minExclusive: true, max: 1_000 });
  const compression = numberFlag('compression', str('compression'), { min: 1 });
  const batch = numberFlag('batch', str('batch'), { integer: true, min: 1, max: 10_000 });
  const months = numberFlag('months', str('months'), { integer: true, min: 1, max: 120 }) ?? 12;
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
  };
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

// ---------------------------------------------------------------------------------------------
// The design document's figures (shared/seed/scaling-analysis.md, "Scaling Solutions by Tier")

const REFERENCE = 'shared/reference/aws-prices-and-limits.md';
/**
 * RDS and ElastiCache list prices, for the design document's own listing only: EvalForge creates
 * neither, so they are not in the price table the cost model reads.
 */
const referencePrice = (usd: number): Price => ({
  usd,
  unit: 'instance-h',
  source: `${REFERENCE} (RDS PostgreSQL and ElastiCache rows)`,
  asOf: '2026-11-27',
});
const ec2 = (type: string): Price => {
  const p = prices.ec2[type];
  if (p === undefined) throw new Error(`no EC2 price for ${type}`);
  return p;
};

interface DesignDocItem {
  readonly what: string;
  readonly count: number;
  readonly price: Price;
}

interface DesignDocTier {
  readonly usd: number;
  /** What it lists that has a list price. */
  readonly items: readonly DesignDocItem[];
  /** What it lists without a price here. */
  readonly unpriced: readonly string[];
  /** What EvalForge bills for that its listing does not name. */
  readonly leavesOut: string;
}

export const DESIGN_DOC: Readonly<Record<TierId, DesignDocTier>> = {
  1: {
    usd: 98,
    items: [
      { what: 't3.medium API server', count: 1, price: ec2('t3.medium') },
      { what: 't3.large ClickHouse', count: 1, price: ec2('t3.large') },
      { what: 'db.t3.small PostgreSQL', count: 1, price: referencePrice(0.036) },
      { what: 'cache.t3.micro Redis', count: 1, price: referencePrice(0.017) },
    ],
    unpriced: [],
    leavesOut: 'the stream, the load balancer, Firehose and storage (the S3 archive and ClickHouse’s disks)',
  },
  2: {
    usd: 980,
    items: [
      { what: 'c5.large API servers', count: 2, price: ec2('c5.large') },
      { what: 'c5.2xlarge ClickHouse', count: 1, price: ec2('c5.2xlarge') },
      { what: 'db.r5.large PostgreSQL and its read replica', count: 2, price: referencePrice(0.25) },
      { what: 'cache.r6g.large Redis', count: 1, price: referencePrice(0.206) },
    ],
    unpriced: [],
    leavesOut: 'the stream, the load balancer, Firehose and storage (the S3 archive and ClickHouse’s disks)',
  },
  3: {
    usd: 5_840,
    items: [
      { what: 'ALBs (hours only)', count: 2, price: prices.alb.hour },
      { what: 'c5.2xlarge API servers', count: 5, price: ec2('c5.2xlarge') },
      { what: 'c5.4xlarge ClickHouse', count: 3, price: ec2('c5.4xlarge') },
      {
        what: 'db.r5.xlarge PostgreSQL Multi-AZ (billed twice) and 2 read replicas',
        count: 4,
        price: referencePrice(0.5),
      },
      { what: 'cache.r6g.xlarge Redis nodes', count: 3, price: referencePrice(0.411) },
    ],
    unpriced: ['3 × kafka.m5.large'],
    leavesOut: 'the load balancers’ LCUs, Firehose, the archive’s storage and ClickHouse’s disks',
  },
  4: {
    usd: 28_450,
    items: [
      { what: 'ALBs (hours only)', count: 4, price: prices.alb.hour },
      { what: 'c5.2xlarge API servers', count: 20, price: ec2('c5.2xlarge') },
      { what: 'c5.9xlarge ClickHouse', count: 12, price: ec2('c5.9xlarge') },
    ],
    unpriced: [
      'Global Accelerator',
      'Aurora Serverless v2',
      'ElastiCache Global Datastore',
      'MSK 12 × kafka.m5.2xlarge',
      'CloudFront',
    ],
    leavesOut: 'the load balancers’ LCUs, Firehose, the archive’s storage and ClickHouse’s disks',
  },
};

/** The list price of what the design document names for a tier, at 730 h a month. */
export function designDocListPrice(tier: TierId): number {
  return DESIGN_DOC[tier].items.reduce((sum, i) => sum + i.count * i.price.usd * HOURS_PER_MONTH, 0);
}

// ---------------------------------------------------------------------------------------------
// The report

/** Identical lines (same component, item, formula and price: e.g. three shards' instances) as one. */
export interface ReportLine {
  readonly component: string;
  readonly item: string;
  readonly count: number;
  readonly formula: string;
  readonly unit: string;
  readonly unitPriceUsd: number;
  /** Of all `count` lines together. */
  readonly monthlyUsd: number;
}

export interface TierReport {
  readonly tier: TierId;
  readonly name: string;
  readonly load: Load;
  /** Month 1: the sum of `lines`. */
  readonly totalUsd: number;
  /** `null` when the projection is shorter than 12 months. */
  readonly month12Usd: number | null;
  readonly perMillionUsd: number;
  readonly components: readonly { component: string; monthlyUsd: number; share: number }[];
  /** Every line of month 1, identical ones together, largest first. */
  readonly lines: readonly ReportLine[];
  readonly projection: readonly MonthTotal[];
  readonly designDoc: {
    readonly usd: number;
    readonly listPriceUsd: number;
    readonly differenceUsd: number;
    readonly explanation: string;
  };
}

const templates = new Map<TierId, TemplateJson>();
/** Each tier's template, synthesized once per process. */
export function templateFor(tier: TierId): TemplateJson {
  let template = templates.get(tier);
  if (template === undefined) {
    template = synthesizeTierTemplate(tier);
    templates.set(tier, template);
  }
  return template;
}

const usd = (value: number): string =>
  `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const usd0 = (value: number): string => `$${Math.round(value).toLocaleString('en-US')}`;
const num = (value: number, digits = 2): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits });
const perMillion = (value: number): string => (Number.isFinite(value) ? `$${value.toFixed(4)}` : '–');
const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

function groupLines(lines: readonly CostLine[]): ReportLine[] {
  const groups = new Map<string, ReportLine>();
  for (const line of lines) {
    const key = [line.component, line.item, line.formula, line.unitPriceUsd].join('\u0000');
    const seen = groups.get(key);
    groups.set(key, {
      component: line.component,
      item: line.item,
      count: (seen?.count ?? 0) + 1,
      formula: line.formula,
      unit: line.unit,
      unitPriceUsd: line.unitPriceUsd,
      monthlyUsd: (seen?.monthlyUsd ?? 0) + line.monthlyUsd,
    });
  }
  return [...groups.values()].sort((a, b) => b.monthlyUsd - a.monthlyUsd);
}

/** Month-1 dollars by item across the tier (all EBS volumes together, …), largest first. */
function byItem(lines: readonly CostLine[]): { item: string; monthlyUsd: number }[] {
  const items = new Map<string, number>();
  for (const line of lines) {
    const item = line.item.replace(/ \(band \d+\)$/, '');
    items.set(item, (items.get(item) ?? 0) + line.monthlyUsd);
  }
  return [...items.entries()]
    .map(([item, monthlyUsd]) => ({ item, monthlyUsd }))
    .sort((a, b) => b.monthlyUsd - a.monthlyUsd);
}

function explain(tier: TierId, lines: readonly CostLine[], total: number, month12: number | null): string {
  const doc = DESIGN_DOC[tier];
  const list = designDocListPrice(tier);
  const parts = doc.items
    .map(
      (i) => `${i.count > 1 ? `${i.count} × ` : ''}${i.what} ${usd(i.count * i.price.usd * HOURS_PER_MONTH)}`,
    )
    .join(' + ');
  const relation = doc.usd < list ? 'below' : 'above';
  const unpriced =
    doc.unpriced.length > 0 ? ` (not counting ${doc.unpriced.join(', ')}, which have no price here)` : '';
  const largest = byItem(lines)
    .slice(0, 4)
    .map((i) => `${i.item} ${usd(i.monthlyUsd)}`)
    .join(', ');
  const diff = total - doc.usd;
  const growth =
    month12 === null
      ? ''
      : ` Its storage figures ignore that the archive accumulates: ours reaches ${usd(month12)} in month 12.`;
  return (
    `The design document's ${usd0(doc.usd)} is ${relation} the list price of what it names: ${parts} = ` +
    `${usd(list)} a month at ${HOURS_PER_MONTH} h${unpriced}. It leaves out ${doc.leavesOut}, and assumes ` +
    `5:1 compression where ${SIZING_ASSUMPTIONS.gzipRatio}:1 was measured. Ours is ${usd(total)} in month 1, ` +
    `${diff >= 0 ? `${usd(diff)} more` : `${usd(-diff)} less`} (${num(total / doc.usd, 1)}×); its largest lines: ` +
    `${largest}.${growth}`
  );
}

/** One tier's report at a load (by default its ceiling). */
export function tierReport(tier: TierId, load: Load = ceilingLoad(tier), months = 12): TierReport {
  const cost = tierCost({ tier, load, months, template: templateFor(tier), prices });
  const month12 = cost.projection.find((m) => m.month === 12)?.totalUsd ?? null;
  return {
    tier,
    name: TIERS[tier].name,
    load,
    totalUsd: cost.total,
    month12Usd: month12,
    perMillionUsd: cost.perMillion,
    components: Object.entries(cost.byComponent).map(([component, monthlyUsd]) => ({
      component,
      monthlyUsd,
      share: cost.total > 0 ? monthlyUsd / cost.total : 0,
    })),
    lines: groupLines(cost.lines),
    projection: cost.projection,
    designDoc: {
      usd: DESIGN_DOC[tier].usd,
      listPriceUsd: designDocListPrice(tier),
      differenceUsd: cost.total - DESIGN_DOC[tier].usd,
      explanation: explain(tier, cost.lines, cost.total, month12),
    },
  };
}

/** The reports the options ask for. */
export function costReports(options: Partial<CostOptions> = {}): TierReport[] {
  const tiers = options.tier === undefined ? TIER_IDS : [options.tier];
  return tiers.map((tier) => tierReport(tier, loadFor(tier, options), options.months ?? 12));
}

// ---------------------------------------------------------------------------------------------
// Rendering

const MAIN_LINES = 8;

function describeLoad(load: Load): string {
  return (
    `${num(load.eventsPerSec)} events/s of ${num(load.eventBytes)} B, ${num(load.eventsPerRequest)} ` +
    `per request, gzip ${num(load.gzipRatio)}:1`
  );
}

function lineLabel(line: ReportLine): string {
  return `${line.count > 1 ? `${line.count} × ` : ''}${line.item}`;
}

/** Plain-text tables: columns padded, numbers right-aligned. */
function textTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[],
): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]) =>
    r
      .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

/** What `npm run cost` prints. */
export function renderText(reports: readonly TierReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`${r.name}`, `  at ${describeLoad(r.load)}`, '');
    out.push(
      textTable(
        ['component', 'monthly USD', 'share'],
        [
          ...r.components.map((c) => [c.component, usd(c.monthlyUsd), pct(c.share)]),
          ['total', usd(r.totalUsd), '100.0%'],
        ],
        [1, 2],
      ),
      '',
      'main lines (month 1):',
    );
    for (const line of r.lines.slice(0, MAIN_LINES)) {
      out.push(
        `  ${usd(line.monthlyUsd).padStart(12)}  ${line.component}: ${lineLabel(line)} = ${line.formula}`,
      );
    }
    out.push(
      '',
      `total, month 1:           ${usd(r.totalUsd)}`,
      `per million events:       ${perMillion(r.perMillionUsd)}`,
      `projection (storage accumulates): ${r.projection.map((m) => `m${m.month} ${usd0(m.totalUsd)}`).join(', ')}`,
      `design document:          ${usd0(r.designDoc.usd)}`,
      `  ${r.designDoc.explanation}`,
      '',
    );
  }
  return `${out.join('\n')}\n`;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');

function markdownTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[],
) {
  const sep = head.map((_, i) => (right.includes(i) ? '---:' : '---'));
  return [head, sep, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

/** The README's table: each tier's month-1 and month-12 totals beside the design document's figure. */
export function renderReadmeTable(reports: readonly TierReport[]): string {
  return markdownTable(
    ['Tier', 'Ceiling (events/s)', 'Month 1', 'Month 12', 'Per million events', 'Design document'],
    reports.map((r) => [
      String(r.tier),
      num(r.load.eventsPerSec),
      usd0(r.totalUsd),
      r.month12Usd === null ? '–' : usd0(r.month12Usd),
      perMillion(r.perMillionUsd),
      usd0(r.designDoc.usd),
    ]),
    [1, 2, 3, 4, 5],
  );
}

export interface Sensitivity {
  readonly input: string;
  readonly value: string;
  readonly month1Usd: number;
  readonly month12Usd: number;
  readonly note: string;
}

/** How tier 3's total moves with the inputs that decide the bill, one at a time from the ceiling. */
export function sensitivity(tier: TierId = 3): Sensitivity[] {
  const base = ceilingLoad(tier);
  const cases: { input: string; value: string; load: Load }[] = [
    { input: 'baseline', value: describeLoad(base), load: base },
    { input: 'events per request', value: '50', load: { ...base, eventsPerRequest: 50 } },
    { input: 'events per request', value: '500', load: { ...base, eventsPerRequest: 500 } },
    { input: 'compression', value: '3:1', load: { ...base, gzipRatio: 3 } },
    { input: 'compression', value: '5:1', load: { ...base, gzipRatio: 5 } },
    { input: 'event size', value: '2.6 KB', load: { ...base, eventBytes: 2_600 } },
    { input: 'event size', value: '5.3 KB', load: { ...base, eventBytes: 5_300 } },
    { input: 'event size', value: '10.6 KB', load: { ...base, eventBytes: 10_600 } },
  ];
  const recordLimitBytes = 1_048_576;
  return cases.map(({ input, value, load }) => {
    const cost = tierCost({ tier, load, months: 12, template: templateFor(tier), prices });
    const recordBytes = (load.eventsPerRequest * load.eventBytes) / load.gzipRatio;
    const note =
      recordBytes > recordLimitBytes
        ? `a request of ${num(load.eventsPerRequest)} is ${num(recordBytes / 1e6)} MB gzip, over Kinesis's 1 MiB ` +
          `record: the SDK's 1 MB cap sends ≤ ${num(Math.floor((1e6 * load.gzipRatio) / load.eventBytes), 0)} per request`
        : '';
    return {
      input,
      value,
      month1Usd: cost.total,
      month12Usd: cost.projection[cost.projection.length - 1]?.totalUsd ?? cost.total,
      note,
    };
  });
}

/** docs/cost-report.md: the four tiers at their ceilings, the assumptions and the sensitivity. */
export function renderMarkdown(
  reports: readonly TierReport[],
  sensitivities: readonly Sensitivity[],
): string {
  const out: string[] = [
    '# Cost report',
    '',
    'What each tier costs a month in us-east-1 at list prices, computed from its own synthesized',
    'template (`lib/pricing/inventory.ts`) and the price table (`lib/pricing/prices.ts`, every figure',
    'with its source and date) by the cost model (`lib/pricing/cost-model.ts`). Rendered by',
    '`npm run cost`; a test fails when this file differs from what it renders, so do not edit it by hand.',
    '',
    '![monthly cost by tier](cost-chart.svg)',
    '',
    '## Summary',
    '',
    markdownTable(
      [
        'Tier',
        'Ceiling (events/s)',
        'Month 1',
        'Month 12',
        'Per million events (month 1)',
        'Design document',
      ],
      reports.map((r) => [
        String(r.tier),
        num(r.load.eventsPerSec),
        usd(r.totalUsd),
        r.month12Usd === null ? '–' : usd(r.month12Usd),
        perMillion(r.perMillionUsd),
        usd0(r.designDoc.usd),
      ]),
      [1, 2, 3, 4, 5],
    ),
    '',
    '## Assumptions',
    '',
    `- Each tier at its ceiling: ${reports.map((r) => `tier ${r.tier} ${num(r.load.eventsPerSec)}`).join(', ')} events/s.`,
    `- Events of ${num(SIZING_ASSUMPTIONS.eventBytes)} B (the design document's 5.3 KB), sent ${SIZING_ASSUMPTIONS.eventsPerRequest} to a request (the SDK's batch), gzip ${SIZING_ASSUMPTIONS.gzipRatio}:1 (measured; the design document assumes 5:1).`,
    `- A month is ${HOURS_PER_MONTH} h; on-demand list prices, no free tiers, no savings plans or reserved instances.`,
    '- Storage accumulates: month N bills the archive as it stands in month N, through its lifecycle classes (Standard-IA after 30 days, Glacier after 90, deleted after 730).',
    ...Object.entries(COST_ASSUMPTIONS).map(([key, value]) => `- \`${key}\`: ${num(value, 4)}.`),
    '',
  ];
  for (const r of reports) {
    out.push(
      `## ${r.name.replace(/^tier/, 'Tier')}`,
      '',
      `At ${describeLoad(r.load)}.`,
      '',
      markdownTable(
        ['Component', 'Monthly USD', 'Share'],
        [
          ...r.components.map((c) => [c.component, usd(c.monthlyUsd), pct(c.share)]),
          ['**total**', `**${usd(r.totalUsd)}**`, '100.0%'],
        ],
        [1, 2],
      ),
      '',
      `Per million events: ${perMillion(r.perMillionUsd)}.`,
      '',
      'Main lines, month 1:',
      '',
      markdownTable(
        ['Line', 'Component', 'Monthly USD', 'Formula'],
        r.lines.slice(0, MAIN_LINES).map((l) => [lineLabel(l), l.component, usd(l.monthlyUsd), l.formula]),
        [2],
      ),
      '',
      'As storage accumulates:',
      '',
      markdownTable(
        ['Month', ...r.projection.map((m) => String(m.month))],
        [['Total', ...r.projection.map((m) => usd0(m.totalUsd))]],
        r.projection.map((_, i) => i + 1),
      ),
      '',
      `Design document: ${usd0(r.designDoc.usd)}. ${r.designDoc.explanation}`,
      '',
    );
  }
  out.push(
    '## Sensitivity: tier 3',
    '',
    'One input at a time from the baseline; the template stays as sized for the baseline.',
    '',
    markdownTable(
      ['Input', 'Value', 'Month 1', 'Month 12', 'Month 1 vs baseline', 'Note'],
      sensitivities.map((s) => [
        s.input,
        s.value,
        usd(s.month1Usd),
        usd(s.month12Usd),
        `${s.month1Usd >= (sensitivities[0]?.month1Usd ?? 0) ? '+' : '−'}${pct(Math.abs(s.month1Usd / (sensitivities[0]?.month1Usd ?? 1) - 1))}`,
        s.note,
      ]),
      [2, 3, 4],
    ),
    '',
  );
  return out.join('\n');
}

/** docs/cost-chart.svg: month-1 and month-12 cost against events/s, log–log, with the design document's. */
export function renderSvg(reports: readonly TierReport[]): string {
  const width = 880;
  const height = 460;
  const left = 90;
  const right = 210;
  const top = 50;
  const bottom = 70;
  const [x0, x1] = [Math.log10(500), Math.log10(400_000)];
  const [y0, y1] = [Math.log10(50), Math.log10(500_000)];
  const x = (v: number) => (left + ((Math.log10(v) - x0) / (x1 - x0)) * (width - left - right)).toFixed(1);
  const y = (v: number) =>
    (height - bottom - ((Math.log10(v) - y0) / (y1 - y0)) * (height - top - bottom)).toFixed(1);
  const series = [
    { name: 'EvalForge, month 1', color: '#1f77b4', dash: '', value: (r: TierReport) => r.totalUsd },
    {
      name: 'EvalForge, month 12',
      color: '#d62728',
      dash: ' stroke-dasharray="6 4"',
      value: (r: TierReport) => r.month12Usd ?? r.totalUsd,
    },
    {
      name: 'design document',
      color: '#7f7f7f',
      dash: ' stroke-dasharray="2 3"',
      value: (r: TierReport) => r.designDoc.usd,
    },
  ];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    '<title>EvalForge monthly cost by tier against events/s (us-east-1 list prices)</title>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">Monthly cost at each tier's ceiling (us-east-1 list prices)</text>`,
  ];
  for (const tick of [1_000, 10_000, 100_000]) {
    out.push(
      `<line x1="${x(tick)}" y1="${top}" x2="${x(tick)}" y2="${height - bottom}" stroke="#e5e5e5"/>`,
      `<text x="${x(tick)}" y="${height - bottom + 18}" text-anchor="middle">${num(tick)}</text>`,
    );
  }
  for (const tick of [100, 1_000, 10_000, 100_000]) {
    out.push(
      `<line x1="${left}" y1="${y(tick)}" x2="${width - right}" y2="${y(tick)}" stroke="#e5e5e5"/>`,
      `<text x="${left - 8}" y="${y(tick)}" text-anchor="end" dominant-baseline="middle">$${num(tick)}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#333"/>`,
    `<text x="${(left + width - right) / 2}" y="${height - 24}" text-anchor="middle">events/s at the tier's ceiling (log scale)</text>`,
    `<text x="22" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 22 ${(top + height - bottom) / 2})">USD per month (log scale)</text>`,
  );
  for (const s of series) {
    const points = reports.map((r) => `${x(r.load.eventsPerSec)},${y(s.value(r))}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash}/>`);
    for (const r of reports) {
      out.push(
        `<circle cx="${x(r.load.eventsPerSec)}" cy="${y(s.value(r))}" r="4" fill="${s.color}"><title>tier ${r.tier}, ${s.name}: ${usd0(s.value(r))}</title></circle>`,
      );
    }
  }
  for (const r of reports) {
    const top12 = r.month12Usd ?? r.totalUsd;
    out.push(
      `<text x="${x(r.load.eventsPerSec)}" y="${(Number(y(top12)) - 12).toFixed(1)}" text-anchor="middle" font-weight="bold">tier ${r.tier}</text>`,
    );
  }
  series.forEach((s, i) => {
    const ly = top + 10 + i * 20;
    const lx = width - right + 12;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash}/>`,
      `<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${s.name}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}

export const REPORT_PATH = new URL('../../docs/cost-report.md', import.meta.url);
export const CHART_PATH = new URL('../../docs/cost-chart.svg', import.meta.url);

/** The committed files' contents: all four tiers at their ceilings, whatever the flags. */
export function renderFiles(): { markdown: string; svg: string; readmeTable: string } {
  const reports = costReports();
  return {
    markdown: renderMarkdown(reports, sensitivity(3)),
    svg: renderSvg(reports),
    readmeTable: renderReadmeTable(reports),
  };
}

/** Runs the command; returns the exit code. */
export function main(
  argv: readonly string[],
  write: (text: string) => void = (t) => process.stdout.write(t),
): number {
  let options: CostOptions;
  try {
    options = parseCostArgs(argv);
  } catch (error) {
    if (!(error instanceof CostCliError)) throw error;
    process.stderr.write(`cost: ${error.message}\n`);
    return 2;
  }
  if (options.readmeTable) {
    write(`${renderFiles().readmeTable}\n`);
    return 0;
  }
  const reports = costReports(options);
  write(
    options.json
      ? `${JSON.stringify({ region: prices.region, tiers: reports }, null, 2)}\n`
      : renderText(reports),
  );
  if (options.write) {
    const files = renderFiles();
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
