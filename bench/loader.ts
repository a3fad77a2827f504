import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { isMainModule } from '../cli/main-module.js';
import { migrate } from '../clickhouse/migrate.js';
import { createClickHouseClient, selectRows } from '../functions/shared/clickhouse/client.js';
import { gzipHeaderMember, type StreamRecordHeader } from '../functions/shared/contract/stream-record.js';
import { applyHeapTuning } from '../functions/shared/heap-tuning.js';
import { ClickHouseLoaderStore, INGEST_SETTINGS } from '../functions/shared/load/clickhouse-store.js';
import { decodeBatch, ingestBody, type LoadBatch, loadBatch } from '../functions/shared/load/core.js';
import { LOADER_REQUEST_GZIP_LEVEL } from '../functions/shared/load/insert-path.js';
import { lambdaCpuShare } from '../lib/capacity.js';
import { TIERS } from '../lib/tiers.js';
import { eventGenerator } from '../lib/workloads/event-generator.js';
import { againstLimit, type BenchFigure, formatInteger, median, verdict } from './figures.js';
import { jsonOutPath, writeFiguresFile } from './figures-file.js';

/**
 * The loader on realistic 5.3 KB events into the embedded engine, against the engine's own
 * insert of the same rows in the same statement, measured in the same run, rounds interleaved.
 *
 * The limit is the statement the loader sends (`INSERT INTO events_ingest SETTINGS … FORMAT
 * JSONEachRow` and the body), given to the engine itself: no loader, no client, no decoding. That
 * is the insert the loader must make, so the ratio is what the loader costs on top of it. The
 * engine's fastest path, `INSERT … SELECT FROM file()` of the same NDJSON, is measured beside it
 * and printed with its ratio, but it is not the limit: the engine parses a file on every core and
 * an insert's inline rows on one (measured the same with `input_format_parallel_parsing` 0 and 1),
 * and a loader in AWS can only send its rows, over HTTP, where the server parses the body as a
 * stream. Until 2026-12-02 the limit was `file()`, which held the loader to a path it cannot take.
 * The three paths run in a rotating order, each on an idle engine (no merge running): the merges
 * one path's parts set off would otherwise take the cores from the next.
 *
 * The embedded engine takes the body as it is; over HTTP a Lambda also compresses it. So the insert
 * bodies of every round are also compressed as the client does it (zlib's streaming gzip), at the
 * loader's level and the alternatives, and the chosen level's CPU is added to the handler's time.
 *
 * A batch is what one Lambda invocation gets: 4 stream records of ~1 MB gzip each (~545 events,
 * as the SDK compresses them), ~4 MB in all: 5.4 MB once base64, under the 6 MB invocation payload.
 */

/** One way to send the insert body: its CPU and the bytes it puts on the wire, per event. */
export interface BodyCompression {
  /** `none` or `gzip <level>`. */
  readonly codec: string;
  readonly cpuUsPerEvent: number;
  readonly wireBytesPerEvent: number;
}

/** Lambda GB-seconds for a million events at one memory size. */
export interface LoaderGbSeconds {
  readonly memoryMiB: number;
  /** The tiers whose loader has this memory. */
  readonly tiers: readonly number[];
  readonly gbSecondsPerMillionEvents: number;
}

export interface LoaderBenchResult {
  readonly cores: number;
  readonly batchRecords: number;
  readonly batchEvents: number;
  readonly batchNdjsonBytes: number;
  readonly batchRecordBytes: number;
  readonly loaderRowsPerSec: number;
  readonly loaderMBPerSec: number;
  /** The limit: the engine given the loader's own statement and body. */
  readonly engineRowsPerSec: number;
  readonly engineMBPerSec: number;
  /** `loaderRowsPerSec ÷ engineRowsPerSec`, judged against `LOADER_TARGETS.ratioToEngine`. */
  readonly ratio: number;
  /** The engine's `INSERT … SELECT FROM file()` of the same NDJSON: its fastest path, for reference. */
  readonly fileRowsPerSec: number;
  /** `loaderRowsPerSec ÷ fileRowsPerSec`. */
  readonly ratioToFile: number;
  /** The loader's own memory (V8 heap + buffers) at its peak: what a Lambda container holds. */
  readonly loaderPeakMiB: number;
  /** The whole process, the embedded engine included. */
  readonly processPeakRssMiB: number;
  /** The loader's own CPU per event before the insert: decoding the records, building the body. */
  readonly decodeCpuUsPerEvent: number;
  /** The rest of the loader's time per event: the lookups and the engine taking the insert. */
  readonly waitUsPerEvent: number;
  /** The insert body uncompressed, gzip at the loader's level and at zlib's default. */
  readonly compression: readonly BodyCompression[];
  /** The codec the loader sends with (`LOADER_REQUEST_GZIP_LEVEL`). */
  readonly chosenCodec: string;
  /** At each loader memory of the tiers, with the chosen codec's CPU. */
  readonly gbSeconds: readonly LoaderGbSeconds[];
}

/**
 * Lambda GB-seconds per million events: `memoryMiB ÷ 1024 × seconds per event × 1e6`, where the CPU
 * part stretches by the function's share of a vCPU (1,769 MiB is one) and the waiting does not.
 */
export function gbSecondsPerMillionEvents(
  memoryMiB: number,
  cpuSecPerEvent: number,
  waitSecPerEvent: number,
): number {
  return (memoryMiB / 1024) * (cpuSecPerEvent / lambdaCpuShare(memoryMiB) + waitSecPerEvent) * 1e6;
}

const codecName = (level: number | undefined) => (level === undefined ? 'none' : `gzip ${level}`);
const COMPRESSION_LEVELS = [undefined, LOADER_REQUEST_GZIP_LEVEL, 6] as const;

/** Compresses each body as @clickhouse/client does (a zlib stream): CPU µs and bytes out. */
async function compressBodies(
  bodies: readonly string[],
  level: number | undefined,
): Promise<{ cpuUs: number; bytes: number }> {
  if (level === undefined) return { cpuUs: 0, bytes: bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) };
  let bytes = 0;
  const start = process.cpuUsage();
  for (const body of bodies) {
    const gzip = createGzip({ level });
    gzip.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    await pipeline(Readable.from([body]), gzip);
  }
  const used = process.cpuUsage(start);
  return { cpuUs: used.user + used.system, bytes };
}

const RECORDS_PER_BATCH = 4;
const EVENTS_PER_RECORD = 545;
const BATCHES_PER_ROUND = 4;

let requestCounter = 0;
const generator = eventGenerator({ seed: 11 });

/** One invocation's records, as the validator writes them for gzip NDJSON requests (pass-through). */
function makeBatch(round: number, index: number): LoadBatch {
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, r) => {
    requestCounter++;
    const lines = Array.from({ length: EVENTS_PER_RECORD }, () => JSON.stringify(generator.next()));
    const header: StreamRecordHeader = {
      format: 'evalforge.batch/v1',
      project_id: `project-${requestCounter % 7}`,
      key_id: '0123456789abcdef',
      received_at: new Date().toISOString(),
      request_id: `bench-${requestCounter}`,
      request_key: requestCounter.toString(16).padStart(64, '0'),
      part: 0,
      events: lines.length,
    };
    const data = Buffer.concat([gzipHeaderMember(header), gzipSync(`${lines.join('\n')}\n`)]);
    return { data, sequenceNumber: `${round}-${index}-${r}` };
  });
  return { source: `bench/shard-${round}-${index}`, records };
}

/** Waits until the engine runs no merge (at most 60 s): background work from earlier inserts. */
async function mergesDone(client: ClickHouseClient): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [row] = await selectRows<{ merges: number }>(client, 'SELECT count() AS merges FROM system.merges');
    if (Number(row?.merges ?? 0) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The three ways a round's batches go in, run in a rotating order so none always goes first. */
type Path = 'loader' | 'engine' | 'file';
const PATHS: readonly Path[] = ['loader', 'engine', 'file'];

export async function benchLoader(options: { rounds?: number } = {}): Promise<LoaderBenchResult> {
  const rounds = options.rounds ?? 7;
  const dir = await mkdtemp(join(tmpdir(), 'evalforge-bench-loader-'));
  const path = join(dir, 'db');
  const client = await createClickHouseClient({ kind: 'embedded', path });
  // The engine itself, on the same data directory: a second connection shares the client's engine.
  const { createChdbConnection } = await import('chdb/connection');
  const engine = createChdbConnection({ path });
  try {
    await migrate(client, { kind: 'single' });
    const columns = await (
      await client.query({
        query:
          "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events_ingest' ORDER BY position",
        format: 'JSONEachRow',
      })
    ).json<{ name: string; type: string }>();
    const structure = columns.map((c) => `${c.name} ${c.type}`).join(', ');
    const store = new ClickHouseLoaderStore(client);

    let loaderPeak = 0;
    const sample = () => {
      const m = process.memoryUsage();
      loaderPeak = Math.max(loaderPeak, m.heapUsed + m.external + m.arrayBuffers);
    };
    const timer = setInterval(sample, 5);

    const loaderRates: number[] = [];
    const engineRates: number[] = [];
    const fileRates: number[] = [];
    const decodeUs: number[] = [];
    const waitUs: number[] = [];
    const compressionRuns = new Map<string, { cpuUs: number[]; bytes: number[] }>();
    let batchEvents = 0;
    let batchNdjsonBytes = 0;
    let batchRecordBytes = 0;
    for (let round = -1; round < rounds; round++) {
      const batches = Array.from({ length: BATCHES_PER_ROUND }, (_, i) => makeBatch(round, i));
      // The engine's side gets the very text the loader sends: in its statement, and in a file.
      const cpuStart = process.cpuUsage();
      const bodies = batches.map((b) => ingestBody(decodeBatch(b, Date.now()).good));
      const cpuUsed = process.cpuUsage(cpuStart);
      // The engine's rows name other requests (the first character of each request key changed,
      // the same bytes): whichever path goes first, the loader must not find its requests loaded.
      const texts = bodies.map((b) => b.text.replace(/"_request_key":"./g, '"_request_key":"x'));
      const file = join(dir, `round-${round}.ndjson`);
      await writeFile(file, texts.join('\n'));
      const events = bodies.reduce((n, b) => n + b.events, 0);
      const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
      batchEvents = events / batches.length;
      batchNdjsonBytes = bytes / batches.length;
      batchRecordBytes =
        batches.reduce((n, b) => n + b.records.reduce((m, r) => m + r.data.length, 0), 0) / batches.length;
      const roundDecodeUs = (cpuUsed.user + cpuUsed.system) / events;
      if (round >= 0) {
        decodeUs.push(roundDecodeUs);
        for (const level of COMPRESSION_LEVELS) {
          const { cpuUs, bytes: out } = await compressBodies(texts, level);
          const runs = compressionRuns.get(codecName(level)) ?? { cpuUs: [], bytes: [] };
          runs.cpuUs.push(cpuUs / events);
          runs.bytes.push(out / events);
          compressionRuns.set(codecName(level), runs);
        }
      }
      bodies.length = 0;

      const run: Record<Path, () => Promise<void>> = {
        loader: async () => {
          for (const batch of batches) {
            const summary = await loadBatch(batch, { store, now: Date.now });
            if (summary.events !== RECORDS_PER_BATCH * EVENTS_PER_RECORD)
              throw new Error(`loader loaded ${summary.events} events`);
            sample();
          }
        },
        engine: async () => {
          for (const [i, text] of texts.entries()) {
            // A token of its own: the rows go in again rather than being dropped as the loader's repeat.
            const statement = store.insertEventsStatement(`bench:engine:${round + 1}:${i}`);
            await engine.chdb.queryAsync(`${statement}\n${text}`);
          }
        },
        file: async () => {
          await client.command({
            query: `INSERT INTO events_ingest SELECT * FROM file({file:String}, 'JSONEachRow', {structure:String})`,
            query_params: { file, structure },
            clickhouse_settings: { ...INGEST_SETTINGS, insert_deduplicate: 0 },
          });
        },
      };
      const seconds = new Map<Path, number>();
      for (let i = 0; i < PATHS.length; i++) {
        const which = PATHS[(i + round + 1) % PATHS.length] as Path;
        // Each path starts on an idle engine: the merges the last one's parts set off would
        // otherwise take the cores from whichever path comes next.
        await mergesDone(client);
        const start = performance.now();
        await run[which]();
        seconds.set(which, (performance.now() - start) / 1000);
      }
      await rm(file);
      if (round >= 0) {
        // Round -1 warms every path up and is not counted.
        const loaderSeconds = seconds.get('loader') ?? 0;
        loaderRates.push(events / loaderSeconds);
        engineRates.push(events / (seconds.get('engine') ?? 0));
        fileRates.push(events / (seconds.get('file') ?? 0));
        // The loader's time beyond decoding: in AWS, waiting for the node to take the insert.
        waitUs.push(Math.max(0, (loaderSeconds * 1e6) / events - roundDecodeUs));
      }
    }
    clearInterval(timer);
    const loaderRowsPerSec = median(loaderRates);
    const engineRowsPerSec = median(engineRates);
    const fileRowsPerSec = median(fileRates);
    const bytesPerEvent = batchNdjsonBytes / batchEvents;
    const compression: BodyCompression[] = COMPRESSION_LEVELS.map((level) => {
      const runs = compressionRuns.get(codecName(level)) ?? { cpuUs: [0], bytes: [0] };
      return {
        codec: codecName(level),
        cpuUsPerEvent: median(runs.cpuUs),
        wireBytesPerEvent: median(runs.bytes),
      };
    });
    const chosenCodec = codecName(LOADER_REQUEST_GZIP_LEVEL);
    const decodeCpuUsPerEvent = median(decodeUs);
    const waitUsPerEvent = median(waitUs);
    const chosenCpuUs = compression.find((c) => c.codec === chosenCodec)?.cpuUsPerEvent ?? 0;
    const memories = [...new Set(Object.values(TIERS).map((t) => t.loader.memoryMiB))].sort((a, b) => a - b);
    const gbSeconds = memories.map((memoryMiB) => ({
      memoryMiB,
      tiers: Object.entries(TIERS)
        .filter(([, t]) => t.loader.memoryMiB === memoryMiB)
        .map(([id]) => Number(id)),
      gbSecondsPerMillionEvents: gbSecondsPerMillionEvents(
        memoryMiB,
        (decodeCpuUsPerEvent + chosenCpuUs) / 1e6,
        waitUsPerEvent / 1e6,
      ),
    }));
    return {
      cores: cpus().length,
      batchRecords: RECORDS_PER_BATCH,
      batchEvents,
      batchNdjsonBytes,
      batchRecordBytes,
      loaderRowsPerSec,
      loaderMBPerSec: (loaderRowsPerSec * bytesPerEvent) / 1e6,
      engineRowsPerSec,
      engineMBPerSec: (engineRowsPerSec * bytesPerEvent) / 1e6,
      ratio: loaderRowsPerSec / engineRowsPerSec,
      fileRowsPerSec,
      ratioToFile: loaderRowsPerSec / fileRowsPerSec,
      loaderPeakMiB: loaderPeak / 1024 / 1024,
      processPeakRssMiB: process.resourceUsage().maxRSS / 1024,
      decodeCpuUsPerEvent,
      waitUsPerEvent,
      compression,
      chosenCodec,
      gbSeconds,
    };
  } finally {
    await engine.close();
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const ENGINE_LIMIT_NAME = "the engine given the loader's own INSERT and rows";
const FILE_PATH_NAME = 'INSERT … SELECT FROM file() of the same NDJSON';

/** Targets from the ClickHouse store issue. */
export const LOADER_TARGETS = { ratioToEngine: 0.7, peakMiB: 1024 };

export function printLoader(r: LoaderBenchResult): boolean {
  const ratioOk = r.ratio >= LOADER_TARGETS.ratioToEngine;
  const memoryOk = r.loaderPeakMiB < LOADER_TARGETS.peakMiB;
  console.log('\nloader → embedded ClickHouse (realistic 5.3 KB events)');
  console.log(
    `  batch:             ${r.batchRecords} stream records, ${formatInteger(r.batchEvents)} events, ${formatInteger(r.batchRecordBytes)} bytes gzip, ${formatInteger(r.batchNdjsonBytes)} bytes NDJSON`,
  );
  console.log(
    `  engine limit:      ${formatInteger(r.engineRowsPerSec)} rows/s, ${r.engineMBPerSec.toFixed(1)} MB/s (${ENGINE_LIMIT_NAME})`,
  );
  console.log(
    `  engine from file:  ${formatInteger(r.fileRowsPerSec)} rows/s (${FILE_PATH_NAME}: every core parses; the loader's ratio to it ${r.ratioToFile.toFixed(2)})`,
  );
  console.log(
    `  loader:            ${formatInteger(r.loaderRowsPerSec)} rows/s, ${r.loaderMBPerSec.toFixed(1)} MB/s`,
  );
  console.log(
    `  ratio to engine:   ${r.ratio.toFixed(2)}  target >= ${LOADER_TARGETS.ratioToEngine}: ${verdict(ratioOk)}`,
  );
  console.log(
    `  loader peak memory ${formatInteger(r.loaderPeakMiB)} MiB (V8 heap + buffers)  target < ${LOADER_TARGETS.peakMiB} MiB: ${verdict(memoryOk)}; whole process with the engine ${formatInteger(r.processPeakRssMiB)} MiB RSS`,
  );
  console.log(
    `  loader CPU:        ${r.decodeCpuUsPerEvent.toFixed(0)} µs/event decoding and building the body; ${r.waitUsPerEvent.toFixed(0)} µs/event waiting for the insert`,
  );
  for (const c of r.compression) {
    const mark = c.codec === r.chosenCodec ? '  ← the loader' : '';
    console.log(
      `  body ${c.codec.padEnd(7)}      ${c.cpuUsPerEvent.toFixed(0).padStart(4)} µs/event CPU, ${formatInteger(c.wireBytesPerEvent).padStart(5)} bytes/event on the wire${mark}`,
    );
  }
  for (const g of r.gbSeconds) {
    console.log(
      `  Lambda GB-s:       ${g.gbSecondsPerMillionEvents.toFixed(0)} GB-s per million events at ${formatInteger(g.memoryMiB)} MiB (tier ${g.tiers.join(', ')}), ${r.chosenCodec}`,
    );
  }
  return ratioOk && memoryOk;
}

/** The loader's figures, each target judged as `printLoader` judges it. */
export function loaderFigures(r: LoaderBenchResult): BenchFigure[] {
  const benchmark = 'loader' as const;
  return [
    againstLimit(
      {
        benchmark,
        figure: `rows/s, batches of ${r.batchRecords} records (${formatInteger(r.batchEvents)} events)`,
        value: r.loaderRowsPerSec,
        unit: 'rows/s',
      },
      { name: ENGINE_LIMIT_NAME, value: r.engineRowsPerSec, unit: 'rows/s' },
      LOADER_TARGETS.ratioToEngine,
    ),
    againstLimit(
      {
        benchmark,
        figure: 'rows/s, against the engine reading a file',
        value: r.loaderRowsPerSec,
        unit: 'rows/s',
      },
      { name: FILE_PATH_NAME, value: r.fileRowsPerSec, unit: 'rows/s' },
    ),
    {
      benchmark,
      figure: 'loader peak memory (V8 heap + buffers)',
      value: r.loaderPeakMiB,
      unit: 'MiB',
      target: {
        text: `< ${formatInteger(LOADER_TARGETS.peakMiB)} MiB`,
        met: r.loaderPeakMiB < LOADER_TARGETS.peakMiB,
      },
    },
    { benchmark, figure: 'process peak RSS, engine included', value: r.processPeakRssMiB, unit: 'MiB' },
    { benchmark, figure: 'loader CPU decoding, per event', value: r.decodeCpuUsPerEvent, unit: 'µs' },
    ...r.compression.map(
      (c): BenchFigure => ({
        benchmark,
        figure: `insert body ${c.codec}: CPU per event`,
        value: c.cpuUsPerEvent,
        unit: 'µs',
      }),
    ),
    ...r.compression.map(
      (c): BenchFigure => ({
        benchmark,
        figure: `insert body ${c.codec}: bytes per event on the wire`,
        value: c.wireBytesPerEvent,
        unit: 'bytes',
      }),
    ),
    ...r.gbSeconds.map(
      (g): BenchFigure => ({
        benchmark,
        figure: `Lambda GB-s per million events, ${formatInteger(g.memoryMiB)} MiB, ${r.chosenCodec}`,
        value: g.gbSecondsPerMillionEvents,
        unit: 'GB-s',
      }),
    ),
  ];
}

if (isMainModule(import.meta.url)) {
  const argv = process.argv.slice(2);
  const out = jsonOutPath(argv);
  // The loader's core with the V8 settings its handler sets as it loads.
  applyHeapTuning();
  benchLoader()
    .then(async (result) => {
      const ok = printLoader(result);
      if (out !== undefined) await writeFiguresFile(out, loaderFigures(result));
      process.exit(argv.includes('--check') && !ok ? 1 : 0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
