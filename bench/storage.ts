import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { HELP_FLAG, parseFlags, readWholeNumber, stringFlags, UsageError } from '../cli/flags.js';
import { isMainModule } from '../cli/main-module.js';
import { migrate } from '../clickhouse/migrate.js';
import { createClickHouseClient, selectRows } from '../functions/shared/clickhouse/client.js';
import { ClickHouseLoaderStore } from '../functions/shared/load/clickhouse-store.js';
import { eventGenerator, seededRandom } from '../lib/workloads/event-generator.js';
import { type BenchFigure, formatInteger, formatNumber } from './figures.js';
import { JSON_OUT_FLAG, writeFiguresFile } from './figures-file.js';

/**
 * What a stored event costs on disk: realistic 5.3 KB events inserted as the loader inserts them,
 * through the real migrations' views, merged to one part (`OPTIMIZE … FINAL`), then read back
 * from `system.columns` and `system.parts` for every table the loader writes. The capacity model's
 * bytes per day on each volume come from these figures (`lib/stored-bytes.ts`).
 *
 * `measureStorage` is the core, on a migrated engine it is given; the command around it makes the
 * engine, prints and writes the figures file.
 */

/** The tables the loader's inserts write: `events` through `events_ingest_mv`, the rollups through their views. */
const STORED_TABLES = ['events', 'events_minute', 'events_hour'] as const;
export type StoredTable = (typeof STORED_TABLES)[number];

/** The columns of `events` by what sizes them: the text (with a TTL of its own), the metadata, the rest. */
const BODY_COLUMNS: readonly string[] = ['prompt', 'response'];
const METADATA_COLUMNS: readonly string[] = ['metadata'];

export interface Bytes {
  readonly compressed: number;
  readonly uncompressed: number;
}

export interface TableBytes {
  readonly rows: number;
  /** Active parts after `OPTIMIZE … FINAL`. */
  readonly parts: number;
  /** The columns' data, summed from `system.columns`. */
  readonly columns: Bytes;
  /** `system.parts.bytes_on_disk`: the columns plus marks, primary and skip indexes, checksums. */
  readonly onDisk: number;
}

export interface ColumnGroups {
  readonly bodies: Bytes;
  readonly metadata: Bytes;
  readonly rest: Bytes;
}

export interface StorageOptions {
  readonly events: number;
  /** Event timestamps advance at this rate, so the rollups get as many minutes as such traffic has. @default 10 */
  readonly eventsPerSec?: number;
  /** Events per insert, as one loader invocation's batch. @default 2,180 */
  readonly eventsPerInsert?: number;
  /** Projects, round-robin over events. @default 7 */
  readonly projects?: number;
  /**
   * Events whose NDJSON and text are gzipped for the synthetic text's ratio, and whose prompt and
   * response lengths the independent-text control repeats. @default 20,000
   */
  readonly gzipSampleEvents?: number;
  /** The last event's timestamp, ms; inside every TTL, or OPTIMIZE would drop the text. */
  readonly endMs: number;
  readonly seed?: number;
}

export interface StorageResult {
  readonly events: number;
  readonly eventsPerSec: number;
  readonly projects: number;
  readonly engineVersion: string;
  /** `events`' columns by group; together they are `tables.events.columns`. */
  readonly groups: ColumnGroups;
  readonly tables: Readonly<Record<StoredTable, TableBytes>>;
  /** The generator's own compressibility, on a sample, at gzip level 6 (the SDK's). */
  readonly gzipSample: {
    readonly events: number;
    readonly ndjsonBytes: number;
    readonly ndjsonGzipBytes: number;
    readonly textBytes: number;
    readonly textGzipBytes: number;
  };
  /**
   * The control: `gzipSample.events` rows (whole inserts) of prompt and response of the same lengths, each word
   * drawn on its own from the generator's words (the same word frequencies), stored with the
   * `events` columns' codec. The generator cuts every text from one 1 MiB corpus, so a ZSTD block
   * (up to 1 MiB) holds the same passages many times over: this measures the text without them.
   */
  readonly independentText: Bytes & {
    readonly rows: number;
    readonly codec: string;
    readonly gzipRatio: number;
  };
  readonly insertSeconds: number;
  readonly optimizeSeconds: number;
}

interface ColumnRow {
  table: string;
  name: string;
  compressed: number;
  uncompressed: number;
}

interface PartRow {
  table: string;
  parts: number;
  rows: number;
  compressed: number;
  uncompressed: number;
  on_disk: number;
  not_wide: number;
}

const add = (a: Bytes, b: Bytes): Bytes => ({
  compressed: a.compressed + b.compressed,
  uncompressed: a.uncompressed + b.uncompressed,
});
const ZERO: Bytes = { compressed: 0, uncompressed: 0 };

/** `events`' columns into bodies, metadata and the rest; every column lands in exactly one group. */
export function groupColumns(
  columns: readonly { name: string; compressed: number; uncompressed: number }[],
): ColumnGroups {
  const groups = { bodies: ZERO, metadata: ZERO, rest: ZERO };
  for (const c of columns) {
    const key = BODY_COLUMNS.includes(c.name)
      ? 'bodies'
      : METADATA_COLUMNS.includes(c.name)
        ? 'metadata'
        : 'rest';
    groups[key] = add(groups[key], c);
  }
  return groups;
}

/**
 * One loader-like insert body: each event with its record header's `_` fields first, as
 * `ingestBody` writes them. Each event's project is its own (round-robin), so every project has
 * traffic in every minute, as many projects sending at once do.
 */
function ingestLines(
  events: readonly object[],
  first: number,
  projects: number,
  header: { receivedAt: string; requestId: string; requestKey: string },
): string {
  const rest = `"_received_at":"${header.receivedAt}","_request_id":"${header.requestId}","_request_key":"${header.requestKey}",`;
  return events
    .map((e, i) => `{"_project_id":"project-${(first + i) % projects}",${rest}${JSON.stringify(e).slice(1)}`)
    .join('\n');
}

/** Words kept from the sample's texts to draw the control's text from: ample for 4,000 distinct words. */
const WORD_POOL = 500_000;
const CONTROL_TABLE = 'storage_text_control';

/** Text of `chars` characters, each word drawn on its own from `pool`. */
function drawText(pool: readonly string[], random: () => number, chars: number): string {
  let text = '';
  while (text.length < chars) text += `${pool[Math.floor(random() * pool.length)]} `;
  return text.slice(0, chars).trimEnd();
}

/** The control of `StorageResult.independentText`, in a table of its own that is dropped after. */
async function independentTextBytes(
  client: ClickHouseClient,
  lengths: readonly [number, number][],
  pool: readonly string[],
  seed: number,
): Promise<StorageResult['independentText']> {
  const [codec] = await selectRows<{ codec: string }>(
    client,
    `SELECT compression_codec AS codec FROM system.columns
      WHERE database = currentDatabase() AND table = 'events' AND name = 'prompt'`,
  );
  const codecClause = codec?.codec ?? '';
  await client.command({
    query: `CREATE TABLE ${CONTROL_TABLE} (prompt String ${codecClause}, response String ${codecClause})
            ENGINE = MergeTree ORDER BY tuple() SETTINGS min_bytes_for_wide_part = 0`,
  });
  try {
    const random = seededRandom(seed);
    let textBytes = 0;
    let gzipBytes = 0;
    for (let from = 0; from < lengths.length; from += 2_000) {
      const rows = lengths
        .slice(from, from + 2_000)
        .map(([p, r]) => ({ prompt: drawText(pool, random, p), response: drawText(pool, random, r) }));
      const text = rows.map((row) => `${row.prompt}\n${row.response}`).join('\n');
      textBytes += Buffer.byteLength(text);
      gzipBytes += gzipSync(text, { level: 6 }).length;
      await client.insert({ table: CONTROL_TABLE, values: rows, format: 'JSONEachRow' });
    }
    await client.command({ query: `OPTIMIZE TABLE ${CONTROL_TABLE} FINAL` });
    const [bytes] = await selectRows<Bytes>(
      client,
      `SELECT sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed
         FROM system.columns WHERE database = currentDatabase() AND table = '${CONTROL_TABLE}'`,
    );
    return {
      rows: lengths.length,
      compressed: bytes?.compressed ?? 0,
      uncompressed: bytes?.uncompressed ?? 0,
      codec: codecClause,
      gzipRatio: textBytes / gzipBytes,
    };
  } finally {
    await client.command({ query: `DROP TABLE IF EXISTS ${CONTROL_TABLE}` });
  }
}

/**
 * Inserts `events` generated events into a migrated engine through the loader's store, merges
 * every stored table to its final parts, and reads their bytes back. The engine should hold no
 * other events: every row of the stored tables is counted.
 */
export async function measureStorage(
  client: ClickHouseClient,
  options: StorageOptions,
): Promise<StorageResult> {
  const eventsPerSec = options.eventsPerSec ?? 10;
  const perInsert = options.eventsPerInsert ?? 2_180;
  const projects = options.projects ?? 7;
  const sampleEvents = Math.min(options.gzipSampleEvents ?? 20_000, options.events);
  const stepMs = 1000 / eventsPerSec;
  let clock = options.endMs - (options.events - 1) * stepMs;
  const generator = eventGenerator({
    seed: options.seed ?? 17,
    now: () => {
      const t = clock;
      clock += stepMs;
      return Math.round(t);
    },
  });
  const store = new ClickHouseLoaderStore(client);
  const lengths: [number, number][] = [];
  const pool: string[] = [];
  const sample = { events: 0, ndjsonBytes: 0, ndjsonGzipBytes: 0, textBytes: 0, textGzipBytes: 0 };

  let insertMs = 0;
  for (let done = 0, insert = 0; done < options.events; insert++) {
    const count = Math.min(perInsert, options.events - done);
    const events = Array.from({ length: count }, () => generator.next());
    if (sample.events < sampleEvents) {
      for (const e of events) {
        // The generator's prompt and response are plain text.
        const [prompt, response] = [String(e.prompt), String(e.response)];
        lengths.push([prompt.length, response.length]);
        if (pool.length < WORD_POOL) pool.push(...prompt.split(' '), ...response.split(' '));
      }
      const ndjson = `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
      const text = events.map((e) => `${e.prompt}\n${e.response}`).join('\n');
      sample.events += count;
      sample.ndjsonBytes += Buffer.byteLength(ndjson);
      sample.ndjsonGzipBytes += gzipSync(ndjson, { level: 6 }).length;
      sample.textBytes += Buffer.byteLength(text);
      sample.textGzipBytes += gzipSync(text, { level: 6 }).length;
    }
    const last = events[events.length - 1];
    const body = ingestLines(events, done, projects, {
      receivedAt: String(last?.timestamp ?? new Date(options.endMs).toISOString()),
      requestId: `storage-${insert}`,
      requestKey: insert.toString(16).padStart(64, '0'),
    });
    const start = performance.now();
    await store.insertEvents(body, `storage:${randomUUID().replaceAll('-', '')}`);
    insertMs += performance.now() - start;
    done += count;
  }

  const start = performance.now();
  for (const table of STORED_TABLES) await client.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
  const optimizeSeconds = (performance.now() - start) / 1000;

  const independentText = await independentTextBytes(client, lengths, pool, options.seed ?? 17);

  const [version] = await selectRows<{ v: string }>(client, 'SELECT version() AS v');
  const columns = await selectRows<ColumnRow>(
    client,
    `SELECT table, name, data_compressed_bytes AS compressed, data_uncompressed_bytes AS uncompressed
       FROM system.columns WHERE database = currentDatabase() AND table IN {tables:Array(String)}`,
    { tables: STORED_TABLES },
  );
  const parts = await selectRows<PartRow>(
    client,
    `SELECT table, count() AS parts, sum(rows) AS rows, sum(data_compressed_bytes) AS compressed,
            sum(data_uncompressed_bytes) AS uncompressed, sum(bytes_on_disk) AS on_disk,
            countIf(part_type != 'Wide') AS not_wide
       FROM system.parts WHERE database = currentDatabase() AND active AND table IN {tables:Array(String)}
      GROUP BY table`,
    { tables: STORED_TABLES },
  );
  const tables = Object.fromEntries(
    STORED_TABLES.map((table) => {
      const part = parts.find((p) => p.table === table);
      const cols = columns.filter((c) => c.table === table).reduce<Bytes>(add, ZERO);
      const bytes: TableBytes = {
        rows: part?.rows ?? 0,
        parts: part?.parts ?? 0,
        columns: cols,
        onDisk: part?.on_disk ?? 0,
      };
      return [table, bytes];
    }),
  ) as Record<StoredTable, TableBytes>;
  // system.columns counts nothing for a compact part (one file for all columns): the engine writes
  // those below ~10 MB, so a run too small to make a wide part is refused rather than read as 0.
  if ((parts.find((p) => p.table === 'events')?.not_wide ?? 0) > 0) {
    throw new Error(
      `events is in compact parts after ${options.events} events: measure more (~2,000 make a wide part)`,
    );
  }
  if (tables.events.rows !== options.events) {
    throw new Error(`events holds ${tables.events.rows} rows after inserting ${options.events}`);
  }
  return {
    events: options.events,
    eventsPerSec,
    projects,
    engineVersion: version?.v ?? 'unknown',
    groups: groupColumns(columns.filter((c) => c.table === 'events')),
    tables,
    gzipSample: sample,
    independentText,
    insertSeconds: insertMs / 1000,
    optimizeSeconds,
  };
}

/** Per stored row, per source event and as ratios: what the capacity model reads. */
export interface StoragePerRow {
  /** Compressed column bytes per `events` row, by group. */
  readonly bodies: number;
  readonly metadata: number;
  readonly rest: number;
  /** bodies + metadata + rest: `events`' columns per row. */
  readonly columns: number;
  /** `events`' bytes on disk per row: the columns plus marks, indexes and checksums. */
  readonly onDisk: number;
  /** Uncompressed ÷ compressed, by group. */
  readonly ratio: {
    readonly bodies: number;
    readonly metadata: number;
    readonly rest: number;
    readonly columns: number;
  };
  /** Each rollup's bytes on disk per rollup row and per source event, at the run's rate and projects. */
  readonly minuteRow: number;
  readonly hourRow: number;
  readonly rollupsPerEvent: number;
  /** The control's bodies per row and ratio: the figure to size disks with (see `independentText`). */
  readonly bodiesIndependentText: number;
  readonly bodiesIndependentTextRatio: number;
  /** gzip level 6 on the generator's NDJSON and on its prompt and response text alone. */
  readonly ndjsonGzipRatio: number;
  readonly textGzipRatio: number;
}

export function storagePerRow(r: StorageResult): StoragePerRow {
  const n = r.events;
  const { bodies, metadata, rest } = r.groups;
  const columns = add(add(bodies, metadata), rest);
  const ratio = (b: Bytes) => b.uncompressed / b.compressed;
  const perRow = (t: TableBytes) => t.onDisk / t.rows;
  return {
    bodies: bodies.compressed / n,
    metadata: metadata.compressed / n,
    rest: rest.compressed / n,
    columns: columns.compressed / n,
    onDisk: r.tables.events.onDisk / n,
    ratio: { bodies: ratio(bodies), metadata: ratio(metadata), rest: ratio(rest), columns: ratio(columns) },
    minuteRow: perRow(r.tables.events_minute),
    hourRow: perRow(r.tables.events_hour),
    rollupsPerEvent: (r.tables.events_minute.onDisk + r.tables.events_hour.onDisk) / n,
    bodiesIndependentText: r.independentText.compressed / r.independentText.rows,
    bodiesIndependentTextRatio: r.independentText.uncompressed / r.independentText.compressed,
    ndjsonGzipRatio: r.gzipSample.ndjsonBytes / r.gzipSample.ndjsonGzipBytes,
    textGzipRatio: r.gzipSample.textBytes / r.gzipSample.textGzipBytes,
  };
}

/** Every figure of a run, information only: storage has no target of its own. */
export function storageFigures(r: StorageResult): BenchFigure[] {
  const p = storagePerRow(r);
  const benchmark = 'storage';
  const bytes = (figure: string, value: number): BenchFigure => ({ benchmark, figure, value, unit: 'bytes' });
  const times = (figure: string, value: number): BenchFigure => ({ benchmark, figure, value, unit: '×' });
  return [
    bytes('events: bodies (prompt, response) per row, compressed', p.bodies),
    bytes('bodies per row, independent text (the figure to size with)', p.bodiesIndependentText),
    times('bodies compression ratio, independent text', p.bodiesIndependentTextRatio),
    bytes('events: metadata per row, compressed', p.metadata),
    bytes('events: rest of the row per row, compressed', p.rest),
    bytes('events: all columns per row, compressed', p.columns),
    bytes('events: on disk per row (columns, marks, indexes)', p.onDisk),
    times('events: bodies compression ratio', p.ratio.bodies),
    times('events: metadata compression ratio', p.ratio.metadata),
    times('events: rest compression ratio', p.ratio.rest),
    times('events: all columns compression ratio', p.ratio.columns),
    bytes('events_minute: on disk per rollup row', p.minuteRow),
    bytes('events_hour: on disk per rollup row', p.hourRow),
    bytes(
      `rollups on disk per source event (${formatInteger(r.eventsPerSec)} events/s, ${r.projects} projects)`,
      p.rollupsPerEvent,
    ),
    times('generator NDJSON gzip ratio (level 6)', p.ndjsonGzipRatio),
    times('generator prompt + response text gzip ratio (level 6)', p.textGzipRatio),
    times('independent text gzip ratio (level 6)', r.independentText.gzipRatio),
  ];
}

/** `SIZING_ASSUMPTIONS.gzipRatio` in lib/tiers.ts, for the comparison printed with the figures. */
const SIZING_GZIP_RATIO = 3;

function printStorage(r: StorageResult, cores: number, say: (line: string) => void = console.log): void {
  const p = storagePerRow(r);
  const n = r.events;
  const row = (name: string, b: Bytes, rows: number) =>
    `  ${name.padEnd(26)} ${formatNumber(b.compressed / rows).padStart(9)} ${formatNumber(b.uncompressed / rows).padStart(9)} ${`${formatNumber(b.uncompressed / b.compressed)}×`.padStart(7)}`;
  say(
    `\nstorage: ${formatInteger(n)} realistic events, ${cores} cores, ClickHouse ${r.engineVersion} (embedded)`,
  );
  say(
    `  inserted through the loader's store in ${r.insertSeconds.toFixed(1)} s, OPTIMIZE … FINAL in ${r.optimizeSeconds.toFixed(1)} s; timestamps at ${formatInteger(r.eventsPerSec)} events/s over ${r.projects} projects`,
  );
  say(`  ${'bytes per row'.padEnd(26)} ${'stored'.padStart(9)} ${'raw'.padStart(9)} ${'ratio'.padStart(7)}`);
  say(row('events: bodies', r.groups.bodies, n));
  say(
    `${row('bodies, independent text', r.independentText, r.independentText.rows)}   (${formatInteger(r.independentText.rows)} rows, ${r.independentText.codec}: the figure to size with)`,
  );
  say(row('events: metadata', r.groups.metadata, n));
  say(row('events: rest of the row', r.groups.rest, n));
  say(row('events: all columns', r.tables.events.columns, n));
  say(
    `  ${'events: on disk'.padEnd(26)} ${formatNumber(p.onDisk).padStart(9)}   (marks, primary and skip indexes included)`,
  );
  for (const table of ['events_minute', 'events_hour'] as const) {
    const t = r.tables[table];
    say(
      `  ${table}: ${formatInteger(t.rows)} rows, ${formatInteger(t.onDisk)} bytes on disk, ${formatNumber(t.onDisk / t.rows)} per rollup row, ${formatNumber(t.onDisk / n)} per source event`,
    );
  }
  say(`  rollups per source event:  ${formatNumber(p.rollupsPerEvent)} bytes`);
  say(
    `  text gzip ratio (level 6): generator NDJSON ${formatNumber(p.ndjsonGzipRatio)}:1, its prompt + response ${formatNumber(p.textGzipRatio)}:1, independent text ${formatNumber(r.independentText.gzipRatio)}:1; the sizing table's gzipRatio ${SIZING_GZIP_RATIO}:1`,
  );
  say(
    "  synthetic text: gzip's 32 KiB window sees the generator's text as prose, but ZSTD's 1 MiB blocks find the passages its texts share (all cut from one 1 MiB corpus); size bodies with the independent text's figure (docs/benchmarks.md)",
  );
}

/** The command: a migrated engine of its own in a temporary directory. */
async function benchStorage(events: number): Promise<StorageResult> {
  const dir = await mkdtemp(join(tmpdir(), 'evalforge-bench-storage-'));
  const client = await createClickHouseClient({ kind: 'embedded', path: join(dir, 'db') });
  try {
    await migrate(client, { kind: 'single' });
    return await measureStorage(client, { events, endMs: Date.now() });
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const DEFAULT_STORAGE_EVENTS = 200_000;

if (isMainModule(import.meta.url)) {
  const main = async () => {
    const { values } = parseFlags({
      args: process.argv.slice(2),
      options: { ...HELP_FLAG, ...stringFlags('events', 'json-out') },
    });
    if (values.help) {
      console.log(
        `npx tsx bench/storage.ts [--events N] [${JSON_OUT_FLAG} FILE]   (default ${formatInteger(DEFAULT_STORAGE_EVENTS)} events)`,
      );
      return;
    }
    const events =
      values.events === undefined ? DEFAULT_STORAGE_EVENTS : readWholeNumber(values.events, 1, 10_000_000);
    if (events === undefined) throw new UsageError('--events must be a whole number from 1 to 10,000,000');
    const result = await benchStorage(events);
    printStorage(result, cpus().length);
    const out = values['json-out'];
    if (out !== undefined) await writeFiguresFile(out, storageFigures(result));
  };
  main()
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      console.error(error instanceof UsageError ? error.message : error);
      process.exit(error instanceof UsageError ? 2 : 1);
    });
}
