import { firehoseFigures } from '../../capacity.js';
import { type BillableResource, sizeNumber, sizeString } from '../billable-resource.js';
import { bandedLines, type CostLine, costLine } from '../cost-line.js';
import { num } from '../format.js';
import { BILLING_UNITS, BYTES_PER_GB, HOURS_PER_MONTH } from '../prices.js';
import { averageDaysHeld, daysReaching } from './days-held.js';
import { perResource, type RuleContext } from './rule.js';

const MiB = 1_048_576;

/**
 * `AWS::S3::Bucket`: the archive Firehose writes to (`workload: 'archive'`) is billed for its PUTs
 * and, as it accumulates, its storage in each lifecycle class and the transitions between them.
 * Size keys: `infrequentAccessAfterDays`, `glacierAfterDays`, `expireAfterDays` (each optional).
 * Other buckets (the load balancers' access logs) get no line.
 */
export const s3BucketRule = perResource((r, context) =>
  sizeString(r, 'workload') === 'archive' ? archiveLines(r, context) : [],
);

function archiveLines(
  r: BillableResource,
  { prices, tier, capacity, startDay: t0, endDay: t1 }: RuleContext,
): CostLine[] {
  const f = firehoseFigures(tier, capacity);
  const s3 = prices.s3;
  const lines = [
    costLine(
      r,
      'S3 PUTs (Firehose objects)',
      (f.objectsPerHour * HOURS_PER_MONTH) / 1_000,
      s3.putPerThousand,
      `${num(f.objectsPerHour)} objects/h (every ${num(f.secondsPerObject)} s) × ${HOURS_PER_MONTH} h`,
    ),
  ];
  const expire = sizeNumber(r, 'expireAfterDays', Number.POSITIVE_INFINITY);
  const ia = Math.min(sizeNumber(r, 'infrequentAccessAfterDays', Number.POSITIVE_INFINITY), expire);
  const glacier = Math.min(sizeNumber(r, 'glacierAfterDays', Number.POSITIVE_INFINITY), expire);
  const gbPerDay = (f.mibPerSec * MiB * 86_400) / BYTES_PER_GB;
  const objectsPerDay = f.objectsPerHour * 24;
  const window = `days ${num(t0)}–${num(t1)}`;
  lines.push(
    ...bandedLines(
      r,
      'S3 Standard storage',
      gbPerDay * averageDaysHeld(t0, t1, 0, Math.min(ia, glacier)),
      {
        sizes: BILLING_UNITS.s3StandardBandsGb,
        prices: [s3.standardGbMonthFirst50Tb, s3.standardGbMonthNext450Tb, s3.standardGbMonthOver500Tb],
      },
      `${num(gbPerDay)} GB/day × average days of writes younger than ${num(Math.min(ia, glacier))} d over ${window}`,
    ),
  );
  // The colder classes, each held from its transition day until the next one's.
  for (const held of [
    {
      name: 'Standard-IA',
      from: ia,
      to: glacier,
      storage: s3.standardIaGbMonth,
      transition: s3.transitionToIaPerThousand,
    },
    {
      name: 'Glacier Flexible Retrieval',
      from: glacier,
      to: expire,
      storage: s3.glacierFlexibleGbMonth,
      transition: s3.transitionToGlacierFlexiblePerThousand,
    },
  ]) {
    if (held.from >= held.to) continue;
    const gbMonth = gbPerDay * averageDaysHeld(t0, t1, held.from, held.to);
    if (gbMonth > 0) {
      lines.push(
        costLine(
          r,
          `S3 ${held.name} storage`,
          gbMonth,
          held.storage,
          `${num(gbPerDay)} GB/day × average days of writes aged ${held.from}–${num(held.to)} d over ${window}`,
        ),
      );
    }
    const moved = objectsPerDay * daysReaching(t0, t1, held.from);
    if (moved > 0) {
      lines.push(
        costLine(
          r,
          `S3 transitions to ${held.name}`,
          moved / 1_000,
          held.transition,
          `${num(objectsPerDay)} objects/day × days of ${window} after day ${held.from}`,
        ),
      );
    }
  }
  return lines;
}
