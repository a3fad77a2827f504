import { gunzipSync, gzipSync } from 'node:zlib';
import { newApiKey } from '../functions/shared/auth/api-keys.js';
import { INGEST_LIMITS } from '../functions/shared/contract/ingest-api.js';
import { scanJsonRange } from '../functions/shared/contract/json-text.js';
import { normaliseMetadata } from '../functions/shared/contract/metadata.js';
import { DEFAULT_VALIDATOR_LIMITS, handleRequest, type ValidatorDeps } from '../functions/validator/core.js';
import { SYSTEM_RUNTIME } from '../functions/validator/runtime.js';
import type { PutOutcome } from '../functions/validator/stream-writer.js';
import { eventGenerator } from '../lib/workloads/event-generator.js';
import { againstLimit, type BenchFigure, formatInteger, median, verdict } from './figures.js';

/**
 * The validator core on realistic 5.3 KB events in ~1 MB gzip NDJSON requests (what the SDK
 * sends), on one core, against the limit measured in the same run on the same bytes: bare
 * gunzip + JSON.parse of every line. The stream is an in-memory sink: this measures the core,
 * not Kinesis.
 */

export interface ValidatorBenchResult {
  readonly eventsPerRequest: number;
  readonly requestBytes: number;
  readonly eventBytes: number;
  readonly bareEventsPerSec: number;
  readonly validatorEventsPerSec: number;
  readonly ratio: number;
  readonly reencodeEventsPerSec: number;
  readonly jsonEventsPerSec: number;
  /**
   * What closing the contract costs on ordinary events, timed alone on the same lines: the text
   * scan (keys given twice, canonical numbers), the metadata model check and the string checks
   * that decide whether a line may go on as sent. As events/s of those checks alone.
   */
  readonly contractChecksEventsPerSec: number;
  /** Their share of the validator's time per event: validator events/s ÷ checks events/s. */
  readonly contractChecksShare: number;
}

/** Builds gzip NDJSON bodies as close to the 1 MB request limit as the SDK would. */
function buildBodies(count: number): { bodies: Buffer[]; events: number; rawBytes: number } {
  const generator = eventGenerator({ seed: 42 });
  const bodies: Buffer[] = [];
  let events = 0;
  let rawBytes = 0;
  for (let b = 0; b < count; b++) {
    const lines: string[] = [];
    // ~3:1 for this text; stop well inside the limit, then trim to fit.
    while (lines.length * 5_500 < INGEST_LIMITS.maxBodyBytes * 2.8)
      lines.push(JSON.stringify(generator.next()));
    let body = gzipSync(lines.join('\n'));
    while (body.length > INGEST_LIMITS.maxBodyBytes) {
      lines.splice(-20);
      body = gzipSync(lines.join('\n'));
    }
    bodies.push(body);
    events += lines.length;
    rawBytes += lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
  }
  return { bodies, events, rawBytes };
}

/** The checks that decide whether each line of a body may be forwarded as sent. */
interface BodyLines {
  /** The body's text, and each line's place and parsed value in it, as the validator holds them. */
  readonly text: string;
  readonly lines: readonly { start: number; end: number; value: Record<string, unknown> }[];
}

/** The checks that decide whether each line of a body may be forwarded as sent, as the validator runs them. */
function contractChecks(body: BodyLines): number {
  let verbatim = 0;
  const cursor = { next: -2 };
  for (const { start, end, value } of body.lines) {
    const scan = scanJsonRange(body.text, start, end, value, cursor);
    const metadata = value.metadata as Record<string, unknown> | undefined;
    const normalised = metadata === undefined ? undefined : normaliseMetadata(metadata);
    const model = normalised === undefined || (normalised.ok && !normalised.changed);
    const { prompt, response } = value;
    const text =
      (typeof prompt !== 'string' || prompt.isWellFormed()) &&
      (typeof response !== 'string' || response.isWellFormed());
    if (scan.duplicateKeys.length === 0 && !scan.nonCanonical && model && text) verbatim++;
  }
  return verbatim;
}

function bare(body: Buffer): number {
  const lines = gunzipSync(body).toString('utf8').split('\n');
  for (const line of lines) JSON.parse(line);
  return lines.length;
}

export async function benchValidator(options: { rounds?: number } = {}): Promise<ValidatorBenchResult> {
  const rounds = options.rounds ?? 15;
  const { bodies, events, rawBytes } = buildBodies(6);
  const eventsPerRequest = events / bodies.length;
  const key = newApiKey('bench', new Date());
  let sunk = 0;
  const deps: ValidatorDeps = {
    keys: { findByKeyId: async () => key.record },
    putRecords: async (records) => {
      for (const r of records) sunk += r.data.length;
      return records.map((): PutOutcome => ({ ok: true }));
    },
    ...SYSTEM_RUNTIME,
    limits: DEFAULT_VALIDATOR_LIMITS,
  };
  const headers = {
    authorization: `Bearer ${key.key}`,
    'content-type': 'application/x-ndjson',
    'content-encoding': 'gzip',
  };
  let batch = 0;
  const post = async (body: Buffer, h: Record<string, string> = headers) => {
    // As the SDK sends them: every batch names itself with an Idempotency-Key.
    const named = { ...h, 'idempotency-key': `bench-batch-${++batch}` };
    const { response } = await handleRequest(
      { method: 'POST', path: '/v1/events', headers: named, body },
      deps,
    );
    if (response.statusCode !== 200 && response.statusCode !== 207) {
      throw new Error(`validator answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
    }
  };

  // The re-encode path: one bad event per request makes the validator compress the rest again.
  const withBadLine = bodies.map((b) => gzipSync(`${gunzipSync(b).toString('utf8')}\n{"model":1}`));
  // The JSON path: {"events":[...]} uncompressed, as a curl user might send, one ~1 MB request.
  const jsonBodies = bodies.map((b) => {
    const lines = gunzipSync(b).toString('utf8').split('\n');
    return Buffer.from(`{"events":[${lines.slice(0, Math.floor(lines.length / 3)).join(',')}]}`);
  });
  const jsonEvents = jsonBodies.reduce(
    (n, b) => n + (JSON.parse(b.toString()) as { events: unknown[] }).events.length,
    0,
  );

  const time = async (work: () => Promise<void> | void): Promise<number> => {
    const start = process.hrtime.bigint();
    await work();
    return Number(process.hrtime.bigint() - start) / 1e9;
  };

  // Warm up every path, then interleave rounds so both sides see the same machine state.
  for (const b of bodies) {
    bare(b);
    await post(b);
  }
  const bareRates: number[] = [];
  const validatorRates: number[] = [];
  const reencodeRates: number[] = [];
  const jsonRates: number[] = [];
  // The closed contract's checks, timed alone on the same lines after the rounds: interleaved,
  // parsing their input would leave garbage that slows the validator's own rounds. A body's lines
  // are parsed (untimed) just before and dropped after.
  const timeChecks = async (): Promise<number> => {
    let seconds = 0;
    for (const b of bodies) {
      const text = gunzipSync(b).toString('latin1');
      let start = 0;
      const lines = text.split('\n').map((line) => {
        const at = { start, end: start + line.length, value: JSON.parse(line) as Record<string, unknown> };
        start = at.end + 1;
        return at;
      });
      let verbatim = 0;
      seconds += await time(() => {
        verbatim = contractChecks({ text, lines });
      });
      if (verbatim !== lines.length)
        throw new Error('the benchmark events are not all forwarded as sent: the fast path is not measured');
    }
    return events / seconds;
  };
  for (let r = 0; r < rounds; r++) {
    bareRates.push(events / (await time(() => bodies.forEach(bare))));
    validatorRates.push(
      events /
        (await time(async () => {
          for (const b of bodies) await post(b);
        })),
    );
    if (r % 3 === 0) {
      reencodeRates.push(
        events /
          (await time(async () => {
            for (const b of withBadLine) await post(b);
          })),
      );
      jsonRates.push(
        jsonEvents /
          (await time(async () => {
            for (const b of jsonBodies)
              await post(b, {
                ...headers,
                'content-type': 'application/json',
                'content-encoding': 'identity',
              });
          })),
      );
    }
  }
  if (sunk === 0) throw new Error('nothing reached the sink');
  const checkRates: number[] = [];
  for (let r = 0; r < rounds; r++) checkRates.push(await timeChecks());
  const bareEventsPerSec = median(bareRates);
  const validatorEventsPerSec = median(validatorRates);
  return {
    eventsPerRequest,
    requestBytes: bodies.reduce((n, b) => n + b.length, 0) / bodies.length,
    eventBytes: rawBytes / events,
    bareEventsPerSec,
    validatorEventsPerSec,
    ratio: validatorEventsPerSec / bareEventsPerSec,
    reencodeEventsPerSec: median(reencodeRates),
    jsonEventsPerSec: median(jsonRates),
    contractChecksEventsPerSec: median(checkRates),
    contractChecksShare: validatorEventsPerSec / median(checkRates),
  };
}

/**
 * Targets from the foundation issue; the contract checks' share from the closed-contract issue (the
 * checks that let a line go on as sent may cost at most 10% of the pass-through path's time).
 */
export const VALIDATOR_TARGETS = {
  eventsPerSecPerCore: 25_000,
  ratioToBare: 0.5,
  contractChecksShareMax: 0.1,
} as const;

/** The validator's figures, each target judged as `printValidator` judges it. */
export function validatorFigures(r: ValidatorBenchResult): BenchFigure[] {
  const benchmark = 'validator';
  return [
    againstLimit(
      {
        benchmark,
        figure: 'gzip NDJSON events/s, one core',
        value: r.validatorEventsPerSec,
        unit: 'events/s',
      },
      { name: 'bare gunzip + JSON.parse', value: r.bareEventsPerSec, unit: 'events/s' },
      VALIDATOR_TARGETS.ratioToBare,
    ),
    {
      benchmark,
      figure: 'gzip NDJSON events/s per core',
      value: r.validatorEventsPerSec,
      unit: 'events/s',
      target: {
        text: `>= ${formatInteger(VALIDATOR_TARGETS.eventsPerSecPerCore)} events/s`,
        met: r.validatorEventsPerSec >= VALIDATOR_TARGETS.eventsPerSecPerCore,
      },
    },
    {
      benchmark,
      figure: 'one bad event per request (re-encode)',
      value: r.reencodeEventsPerSec,
      unit: 'events/s',
    },
    {
      benchmark,
      figure: 'uncompressed {"events":[...]} requests',
      value: r.jsonEventsPerSec,
      unit: 'events/s',
    },
    {
      benchmark,
      figure: 'closed-contract checks, share of the time per event',
      value: r.contractChecksShare,
      unit: '×',
      target: {
        text: `<= ${VALIDATOR_TARGETS.contractChecksShareMax}`,
        met: r.contractChecksShare <= VALIDATOR_TARGETS.contractChecksShareMax,
      },
    },
  ];
}

/** The validator's figures as text; true when every target is met. */
export function printValidator(v: ValidatorBenchResult, log: (line: string) => void = console.log): boolean {
  const perCoreOk = v.validatorEventsPerSec >= VALIDATOR_TARGETS.eventsPerSecPerCore;
  const ratioOk = v.ratio >= VALIDATOR_TARGETS.ratioToBare;
  log('\nvalidator core, gzip NDJSON requests (the SDK path), one core');
  log(
    `  request:           ${formatInteger(v.eventsPerRequest)} events, ${formatInteger(v.requestBytes)} bytes gzip, ${formatInteger(v.eventBytes)} bytes per event`,
  );
  log(
    `  bare limit:        ${formatInteger(v.bareEventsPerSec)} events/s (gunzip + JSON.parse of every line)`,
  );
  log(
    `  validator:         ${formatInteger(v.validatorEventsPerSec)} events/s  target >= ${formatInteger(VALIDATOR_TARGETS.eventsPerSecPerCore)}: ${verdict(perCoreOk)}`,
  );
  log(
    `  ratio to bare:     ${v.ratio.toFixed(2)}  target >= ${VALIDATOR_TARGETS.ratioToBare}: ${verdict(ratioOk)}`,
  );
  log(
    `  one bad event per request (accepted events compressed again): ${formatInteger(v.reencodeEventsPerSec)} events/s`,
  );
  log(`  uncompressed {"events":[...]} requests: ${formatInteger(v.jsonEventsPerSec)} events/s`);
  const checksOk = v.contractChecksShare <= VALIDATOR_TARGETS.contractChecksShareMax;
  log(
    `  closed-contract checks alone: ${formatInteger(v.contractChecksEventsPerSec)} events/s, ${(v.contractChecksShare * 100).toFixed(1)}% of the validator's time per event  target <= ${VALIDATOR_TARGETS.contractChecksShareMax * 100}%: ${verdict(checksOk)}`,
  );
  return perCoreOk && ratioOk && checksOk;
}
