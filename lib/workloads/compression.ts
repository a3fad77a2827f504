/**
 * How well two workloads compress, as the pipeline compresses them: each request batch gzipped
 * by the SDK, each Firehose object the concatenation of the stream records (a small gzip header
 * member, then the request's gzip body as sent), and, for comparison, gzip over a whole object's
 * NDJSON in one stream. Pure apart from the CPU: the events come from seeded generators and a
 * fixed clock, so the figures repeat for a given Node and zlib.
 *
 * - `unique`: `eventGenerator`, every event fresh text: the worst case, and the sizing's 3:1.
 * - `sessions`: `sessionGenerator`, application traffic: shared system prompts and templates,
 *   chat history resent, retrieved passages, tool calls (lib/workloads/session-generator.ts). Its sample
 *   comes from one SDK process per application, each batch from one process, batches in turn.
 *
 * The whole-object figure is measured on the sample's batches as one object (a scaled-down object:
 * a 64 MiB object is ~24 such batches of the same kind, and gzip's 32 KiB window sees no further
 * back than that either way).
 */
import * as zlib from 'node:zlib';
import { gzipHeaderMember, STREAM_RECORD_FORMAT } from '../../functions/shared/contract/stream-record.js';
import { type EventGenerator, eventGenerator } from './event-generator.js';
import { SESSION_APPS, sessionGenerator } from './session-generator.js';

export const WORKLOADS = ['unique', 'sessions'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** What each workload is, in a few words, for tables. */
export const WORKLOAD_DESCRIPTIONS: Readonly<Record<WorkloadName, string>> = {
  unique: 'every event fresh text (eventGenerator): the worst case',
  sessions: 'application sessions (sessionGenerator): system prompts, chat history, RAG passages, tool calls',
};

/** The SDK's level is 6 (sdk/client.ts); 1 is the fastest. */
export const GZIP_LEVELS = [1, 6] as const;
export type GzipLevel = (typeof GZIP_LEVELS)[number];
/** The level the SDK sends at by default, and so the one the cost report prices. */
export const SDK_GZIP_LEVEL: GzipLevel = 6;

/** Compressed bytes per event, and uncompressed event NDJSON ÷ compressed bytes. */
export interface Compressed {
  readonly bytesPerEvent: number;
  readonly ratio: number;
}

export interface LevelCompression {
  readonly level: GzipLevel;
  /** Each request batch's gzip NDJSON body, as the SDK sends it. */
  readonly batch: Compressed;
  /** A Firehose object: every record's header member and body, back to back. */
  readonly object: Compressed;
  /** The same object's NDJSON (headers and events) gzipped again as one stream. */
  readonly wholeObject: Compressed;
}

export interface WorkloadCompression {
  readonly workload: WorkloadName;
  /** Request batches in the sample: one Firehose object of that many records. */
  readonly batches: number;
  readonly events: number;
  /** Uncompressed NDJSON bytes per event, newline included. */
  readonly eventBytes: number;
  readonly levels: readonly LevelCompression[];
}

export interface CompressionMeasurement {
  readonly eventsPerBatch: number;
  /** Node 20's zlib has no zstd; a runtime that has it is named, not measured. */
  readonly zstd: string;
  readonly workloads: readonly WorkloadCompression[];
}

export interface CompressionOptions {
  /**
   * Batches of each workload. Fresh text compresses alike in every batch; the sessions' batches
   * come from one process per application in turn, so they need one per application.
   * @default { unique: 2, sessions: 4 }
   */
  readonly batches?: Readonly<Partial<Record<WorkloadName, number>>>;
  /** Events per batch: the SDK's `maxBatchEvents`. @default 500 */
  readonly eventsPerBatch?: number;
  /** @default 1 */
  readonly seed?: number;
}

const DEFAULT_BATCHES: Readonly<Record<WorkloadName, number>> = { unique: 2, sessions: SESSION_APPS.length };

/** The events' clock: a fixed start, a few milliseconds apart, as one process's traffic. */
const START_MS = Date.UTC(2026, 11, 1, 12);
const clock = (): (() => number) => {
  let t = START_MS;
  return () => {
    t += 3;
    return t;
  };
};

/** One generator per batch in turn: the unique workload has one, the sessions one per application. */
function generators(workload: WorkloadName, seed: number): EventGenerator[] {
  if (workload === 'unique') return [eventGenerator({ seed, now: clock() })];
  return SESSION_APPS.map((_, app) =>
    sessionGenerator({ seed: seed * 100 + app, primaryApp: app, now: clock() }),
  );
}

/** A stream record's header as the validator writes it, with made-up ids of the real lengths. */
function headerMember(batch: number, events: number): Buffer {
  const id = (n: number) => n.toString(16).padStart(32, '0');
  return gzipHeaderMember({
    format: STREAM_RECORD_FORMAT,
    project_id: 'acme-prod',
    key_id: 'key_0123456789abcdef',
    received_at: new Date(START_MS + batch * 1_000).toISOString(),
    request_id: id(batch + 1),
    request_key: `${id(batch + 1)}${id(batch + 2)}`,
    part: 0,
    events,
  });
}

const compressed = (bytes: number, events: number, rawBytes: number): Compressed => ({
  bytesPerEvent: bytes / events,
  ratio: rawBytes / bytes,
});

function measureWorkload(
  workload: WorkloadName,
  batches: number,
  eventsPerBatch: number,
  seed: number,
): WorkloadCompression {
  const sources = generators(workload, seed);
  const bodies: string[] = [];
  const headers: Buffer[] = [];
  for (let b = 0; b < batches; b++) {
    const source = sources[b % sources.length] as EventGenerator;
    let ndjson = '';
    for (let i = 0; i < eventsPerBatch; i++) ndjson += `${JSON.stringify(source.next())}\n`;
    bodies.push(ndjson);
    headers.push(headerMember(b, eventsPerBatch));
  }
  const events = batches * eventsPerBatch;
  const rawBytes = bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0);
  const headerBytes = headers.reduce((sum, h) => sum + h.length, 0);
  const objectText = bodies.map((body, b) => `${zlib.gunzipSync(headers[b] as Buffer)}${body}`).join('');
  const levels = GZIP_LEVELS.map((level): LevelCompression => {
    const batchBytes = bodies.reduce((sum, body) => sum + zlib.gzipSync(body, { level }).length, 0);
    const wholeBytes = zlib.gzipSync(objectText, { level }).length;
    return {
      level,
      batch: compressed(batchBytes, events, rawBytes),
      object: compressed(batchBytes + headerBytes, events, rawBytes),
      wholeObject: compressed(wholeBytes, events, rawBytes),
    };
  });
  return { workload, batches, events, eventBytes: rawBytes / events, levels };
}

/** Whether this runtime's zlib has zstd (Node 22.15 and later); Node 20's has not. */
export function zstdInRuntime(): string {
  return 'zstdCompressSync' in zlib ? 'in this runtime, not measured' : 'not in this runtime';
}

/**
 * Compressed bytes per event and ratios of each workload at gzip levels 1 and 6: per request
 * batch, per Firehose object, and gzip over a whole object. ~3 s on a slow core with the defaults.
 */
export function measureCompression(options: CompressionOptions = {}): CompressionMeasurement {
  const batches = { ...DEFAULT_BATCHES, ...options.batches };
  const eventsPerBatch = options.eventsPerBatch ?? 500;
  const seed = options.seed ?? 1;
  return {
    eventsPerBatch,
    zstd: zstdInRuntime(),
    workloads: WORKLOADS.map((w) => measureWorkload(w, batches[w], eventsPerBatch, seed)),
  };
}

/** A workload's figures at a level; throws when the measurement has no such workload or level. */
export function compressionAt(
  measurement: CompressionMeasurement,
  workload: WorkloadName,
  level: GzipLevel,
): LevelCompression & { readonly eventBytes: number } {
  const w = measurement.workloads.find((x) => x.workload === workload);
  const l = w?.levels.find((x) => x.level === level);
  if (w === undefined || l === undefined)
    throw new RangeError(`no ${workload} figures at gzip level ${level}`);
  return { ...l, eventBytes: w.eventBytes };
}
