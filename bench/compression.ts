import { cpus } from 'node:os';
import {
  type Compressed,
  type CompressionMeasurement,
  compressionAt,
  GZIP_LEVELS,
  measureCompression,
  WORKLOAD_DESCRIPTIONS,
  WORKLOADS,
  type WorkloadName,
} from '../lib/workloads/compression.js';
import { againstLimit, type BenchFigure, formatInteger, formatNumber } from './figures.js';

/**
 * `npm run bench -- compression`: gzip bytes per event and ratio of fresh text (`unique`, the
 * sizing's worst case) and application sessions, at levels 1 and 6, per request batch, per
 * Firehose object and over a whole object (lib/workloads/compression.ts). Each sessions figure
 * is read against the unique one at the same level and place, measured in the same run.
 */

/** Where the bytes are compressed: as the SDK sends a batch, as Firehose writes an object, or once over the object. */
const PLACES = [
  { key: 'batch', label: 'per request batch' },
  { key: 'object', label: 'per Firehose object' },
  { key: 'wholeObject', label: 'gzip over a whole object' },
] as const;

export function benchCompression(): CompressionMeasurement {
  return measureCompression();
}

const cell = (c: Compressed) => `${formatInteger(c.bytesPerEvent)} B ${formatNumber(c.ratio)}×`;

/** The table: a row per workload and level, each place's bytes per event and ratio. */
export function printCompression(m: CompressionMeasurement, log: (line: string) => void = console.log): void {
  log(
    `\ncompression, ${m.eventsPerBatch} events a request batch, machine of ${cpus().length} cores (one used)`,
  );
  for (const w of m.workloads)
    log(
      `  ${w.workload}: ${WORKLOAD_DESCRIPTIONS[w.workload]}; ${w.batches} batches, ${formatInteger(w.events)} events`,
    );
  const head = ['workload', 'gzip', 'event B', ...PLACES.map((p) => p.label)];
  const rows = m.workloads.flatMap((w) =>
    w.levels.map((l) => [
      w.workload,
      String(l.level),
      formatInteger(w.eventBytes),
      ...PLACES.map((p) => cell(l[p.key])),
    ]),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    `  ${r.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`;
  log(line(head));
  for (const r of rows) log(line(r));
  log(`  zstd: ${m.zstd}`);
}

/** A ratio figure per workload, level and place; the sessions' against the unique text's. */
export function compressionFigures(m: CompressionMeasurement): BenchFigure[] {
  const figure = (workload: WorkloadName, level: number, place: (typeof PLACES)[number]) =>
    `${workload}: gzip ${level} ratio, ${place.label}`;
  return GZIP_LEVELS.flatMap((level) =>
    PLACES.flatMap((place) =>
      WORKLOADS.map((workload): BenchFigure => {
        const value = compressionAt(m, workload, level)[place.key].ratio;
        const base = {
          benchmark: 'compression' as const,
          figure: figure(workload, level, place),
          value,
          unit: '×',
        };
        if (workload === 'unique') return base;
        return againstLimit(base, {
          name: 'unique text, same level',
          value: compressionAt(m, 'unique', level)[place.key].ratio,
          unit: '×',
        });
      }),
    ),
  );
}
