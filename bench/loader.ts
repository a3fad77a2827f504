import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isMainModule } from '../cli/main-module.js';
import { migrate } from '../clickhouse/migrate.js';
import { ClickHouseLoaderStore, INGEST_SETTINGS } from '../functions/load/clickhouse-store.js';
import { decodeBatch, ingestBody, type LoadBatch, loadBatch } from '../functions/load/core.js';
import { createClickHouseClient } from '../functions/shared/clickhouse/client.js';
import { gzipHeaderMember, type StreamRecordHeader } from '../functions/shared/contract/stream-record.js';
import { eventGenerator } from '../local/event-generator.js';
import { againstLimit, type BenchFigure, formatInteger, median, verdict } from './figures.js';
import { jsonOutPath, writeFiguresFile } from './figures-file.js';

/**
 * The loader on realistic 5.3 KB events into the embedded engine, against the engine's own
 * insert of the same NDJSON from a file, measured in the same run, rounds interleaved.
 *
 * A batch is what one Lambda invocation gets: 4 stream records of ~1 MB gzip each (~545 events,
 * as the SDK compresses them), ~4 MB in all: 5.4 MB once base64, under the 6 MB invocation payload.
 */

export interface LoaderBenchResult {
  readonly cores: number;
  readonly batchRecords: number;
  readonly batchEvents: number;
  readonly batchNdjsonBytes: number;
  readonly batchRecordBytes: number;
  readonly loaderRowsPerSec: number;
  readonly loaderMBPerSec: number;
  readonly engineRowsPerSec: number;
  readonly engineMBPerSec: number;
  readonly ratio: number;
  /** The loader's own memory (V8 heap + buffers) at its peak: what a Lambda container holds. */
  readonly loaderPeakMiB: number;
  /** The whole process, the embedded engine included. */
  readonly processPeakRssMiB: number;
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

export async function benchLoader(options: { rounds?: number } = {}): Promise<LoaderBenchResult> {
  const rounds = options.rounds ?? 5;
  const dir = await mkdtemp(join(tmpdir(), 'evalforge-bench-loader-'));
  const client = await createClickHouseClient({ kind: 'embedded', path: join(dir, 'db') });
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
    let batchEvents = 0;
    let batchNdjsonBytes = 0;
    let batchRecordBytes = 0;
    for (let round = -1; round < rounds; round++) {
      const batches = Array.from({ length: BATCHES_PER_ROUND }, (_, i) => makeBatch(round, i));
      // The engine's side gets the very text the loader sends, from a file the engine reads itself.
      const bodies = batches.map((b) => ingestBody(decodeBatch(b, Date.now()).good));
      const file = join(dir, `round-${round}.ndjson`);
      await writeFile(file, bodies.map((b) => b.text).join('\n'));
      const events = bodies.reduce((n, b) => n + b.events, 0);
      const bytes = bodies.reduce((n, b) => n + Buffer.byteLength(b.text), 0);
      batchEvents = events / batches.length;
      batchNdjsonBytes = bytes / batches.length;
      batchRecordBytes =
        batches.reduce((n, b) => n + b.records.reduce((m, r) => m + r.data.length, 0), 0) / batches.length;
      bodies.length = 0;

      let start = performance.now();
      for (const batch of batches) {
        const summary = await loadBatch(batch, { store, now: Date.now });
        if (summary.events !== RECORDS_PER_BATCH * EVENTS_PER_RECORD)
          throw new Error(`loader loaded ${summary.events} events`);
        sample();
      }
      const loaderSeconds = (performance.now() - start) / 1000;

      start = performance.now();
      await client.command({
        query: `INSERT INTO events_ingest SELECT * FROM file({file:String}, 'JSONEachRow', {structure:String})`,
        query_params: { file, structure },
        clickhouse_settings: { ...INGEST_SETTINGS, insert_deduplicate: 0 },
      });
      const engineSeconds = (performance.now() - start) / 1000;
      await rm(file);
      if (round >= 0) {
        // Round -1 warms both paths up and is not counted.
        loaderRates.push(events / loaderSeconds);
        engineRates.push(events / engineSeconds);
      }
    }
    clearInterval(timer);
    const loaderRowsPerSec = median(loaderRates);
    const engineRowsPerSec = median(engineRates);
    const bytesPerEvent = batchNdjsonBytes / batchEvents;
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
      loaderPeakMiB: loaderPeak / 1024 / 1024,
      processPeakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
}

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
    `  engine limit:      ${formatInteger(r.engineRowsPerSec)} rows/s, ${r.engineMBPerSec.toFixed(1)} MB/s (INSERT … SELECT FROM file() of the same NDJSON)`,
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
  return ratioOk && memoryOk;
}

/** The loader's figures, each target judged as `printLoader` judges it. */
export function loaderFigures(r: LoaderBenchResult): BenchFigure[] {
  const benchmark = 'loader';
  return [
    againstLimit(
      {
        benchmark,
        figure: `rows/s, batches of ${r.batchRecords} records (${formatInteger(r.batchEvents)} events)`,
        value: r.loaderRowsPerSec,
        unit: 'rows/s',
      },
      { name: "the engine's own file() insert", value: r.engineRowsPerSec, unit: 'rows/s' },
      LOADER_TARGETS.ratioToEngine,
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
  ];
}

if (isMainModule(import.meta.url)) {
  const argv = process.argv.slice(2);
  const out = jsonOutPath(argv);
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
