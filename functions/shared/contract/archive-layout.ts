/**
 * The raw archive's S3 key layout: the one definition shared by the Firehose delivery stream
 * (which receives `ARCHIVE_PREFIX` and `ARCHIVE_ERROR_PREFIX` as its prefix expressions and
 * `ARCHIVE_FILE_EXTENSION` as its file extension) and by the local stand-in that plays
 * Firehose's part, so objects land under the same keys in both.
 *
 * Firehose names an object `<evaluated prefix><stream name>-<stream version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><file extension>`
 * (https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html), UTC unless a custom
 * time zone is set. In a prefix, `!{timestamp:<Java DateTimeFormatter pattern>}` evaluates the
 * approximate arrival timestamp of the oldest record contained in the object, and every
 * `timestamp` expression in one prefix evaluates the same instant
 * (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html).
 */

/** Hive-style hour partitions of the oldest record's arrival, in UTC. */
export const ARCHIVE_PREFIX =
  'events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';

/**
 * Where Firehose writes records it could not process. With no record processing and no format
 * conversion configured, nothing is expected here; Firehose still takes the prefix.
 */
export const ARCHIVE_ERROR_PREFIX =
  'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';

/**
 * Records are gzip members already (see stream-record.ts), so Firehose is configured with no
 * compression and this extension: the concatenated records are one multi-member gzip file.
 */
export const ARCHIVE_FILE_EXTENSION = '.ndjson.gz';

/** The Content-Type of an archive object. It carries no Content-Encoding: the object is stored as gzip bytes. */
export const ARCHIVE_CONTENT_TYPE = 'application/x-ndjson';

/** The values `!{firehose:error-output-type}` takes for an S3 destination: Lambda processing or format conversion failed. */
export type ErrorOutputType = 'processing-failed' | 'format-conversion-failed';

/** Firehose stream names: 1 to 64 of letters, digits, underscore, hyphen and period. */
const STREAM_NAME_SOURCE = '[a-zA-Z0-9_.-]{1,64}';
const UUID_SOURCE = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const DELIVERY_STREAM_NAME = new RegExp(`^${STREAM_NAME_SOURCE}$`);
const UUID = new RegExp(`^${UUID_SOURCE}$`);

export class ArchiveLayoutError extends Error {
  override readonly name = 'ArchiveLayoutError';
}

type Field = 'year' | 'month' | 'day' | 'hour';

/** The DateTimeFormatter letters the layout uses; all else is refused rather than guessed. */
const PATTERN_LETTERS: Readonly<Record<string, { field: Field; width: number }>> = {
  yyyy: { field: 'year', width: 4 },
  MM: { field: 'month', width: 2 },
  dd: { field: 'day', width: 2 },
  HH: { field: 'hour', width: 2 },
};

type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'timestamp'; readonly field: Field; readonly width: number }
  | { readonly kind: 'error-output-type' };

/** Splits a DateTimeFormatter pattern into fields and literals ('quoted' text, or non-letters). */
function parseTimestampPattern(pattern: string, expression: string): Segment[] {
  if (pattern === '') throw new ArchiveLayoutError(`${expression}: empty timestamp pattern`);
  const segments: Segment[] = [];
  let i = 0;
  while (i < pattern.length) {
    const char = pattern[i] ?? '';
    if (char === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end === -1) throw new ArchiveLayoutError(`${expression}: unterminated quote in timestamp pattern`);
      // '' is a literal single quote, as in Java.
      segments.push({ kind: 'literal', text: end === i + 1 ? "'" : pattern.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z]/.test(char)) {
      let end = i;
      while (pattern[end] === char) end++;
      const run = pattern.slice(i, end);
      const letter = PATTERN_LETTERS[run];
      if (!letter) {
        throw new ArchiveLayoutError(
          `${expression}: timestamp pattern '${run}' is not supported; use ${Object.keys(PATTERN_LETTERS).join(', ')}`,
        );
      }
      segments.push({ kind: 'timestamp', ...letter });
      i = end;
    } else if ('[]{}#'.includes(char)) {
      throw new ArchiveLayoutError(`${expression}: '${char}' is reserved in a timestamp pattern`);
    } else {
      segments.push({ kind: 'literal', text: char });
      i++;
    }
  }
  return segments;
}

/** Parses a Firehose prefix into literals and the expressions this layout supports. */
function compilePrefix(template: string): Segment[] {
  const segments: Segment[] = [];
  let i = 0;
  while (i < template.length) {
    const start = template.indexOf('!{', i);
    if (start === -1) {
      segments.push({ kind: 'literal', text: template.slice(i) });
      break;
    }
    if (start > i) segments.push({ kind: 'literal', text: template.slice(i, start) });
    const end = template.indexOf('}', start);
    if (end === -1) throw new ArchiveLayoutError(`unterminated expression at ${template.slice(start)}`);
    const expression = template.slice(start, end + 1);
    const body = template.slice(start + 2, end);
    if (body.includes('!{')) throw new ArchiveLayoutError(`${expression}: expressions cannot be nested`);
    const colon = body.indexOf(':');
    const namespace = colon === -1 ? body : body.slice(0, colon);
    const value = colon === -1 ? '' : body.slice(colon + 1);
    if (colon !== -1 && namespace === 'timestamp') {
      segments.push(...parseTimestampPattern(value, expression));
    } else if (colon !== -1 && namespace === 'firehose' && value === 'error-output-type') {
      segments.push({ kind: 'error-output-type' });
    } else {
      throw new ArchiveLayoutError(
        `unsupported prefix expression ${expression}: the archive layout evaluates !{timestamp:<yyyy|MM|dd|HH>} and !{firehose:error-output-type}`,
      );
    }
    i = end + 1;
  }
  return segments;
}

function utcFields(at: Date): Record<Field, number> {
  return {
    year: at.getUTCFullYear(),
    month: at.getUTCMonth() + 1,
    day: at.getUTCDate(),
    hour: at.getUTCHours(),
  };
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function checkDate(at: Date, what: string): void {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new ArchiveLayoutError(`${what} is not a valid date`);
  }
}

/**
 * Evaluates a Firehose prefix the way Firehose does: every `!{timestamp:…}` at the one instant
 * `at`, in UTC. `errorOutputType` fills `!{firehose:error-output-type}` and is required when the
 * prefix has one. Throws `ArchiveLayoutError` on any expression it does not support.
 */
export function renderArchivePrefix(
  template: string,
  at: Date,
  options: { errorOutputType?: ErrorOutputType } = {},
): string {
  checkDate(at, 'the prefix timestamp');
  const fields = utcFields(at);
  let out = '';
  for (const segment of compilePrefix(template)) {
    if (segment.kind === 'literal') out += segment.text;
    else if (segment.kind === 'timestamp') out += pad(fields[segment.field], segment.width);
    else if (options.errorOutputType) out += options.errorOutputType;
    else throw new ArchiveLayoutError('!{firehose:error-output-type} needs an errorOutputType');
  }
  return out;
}

export interface ArchiveObjectKeyInput {
  readonly deliveryStreamName: string;
  /** Starts at 1 and goes up by 1 with every configuration change of the delivery stream. */
  readonly version: number;
  /** The approximate arrival timestamp of the oldest record in the object: it picks the partition. */
  readonly oldestArrival: Date;
  /** When the object is written: the timestamp in the file name. */
  readonly deliveredAt: Date;
  /** A random UUID, lowercase. */
  readonly id: string;
}

/** The key Firehose gives an archive object: `ARCHIVE_PREFIX` evaluated, then the file name. */
export function archiveObjectKey(input: ArchiveObjectKeyInput): string {
  const { deliveryStreamName, version, oldestArrival, deliveredAt, id } = input;
  if (!DELIVERY_STREAM_NAME.test(deliveryStreamName)) {
    throw new ArchiveLayoutError(
      `delivery stream name '${deliveryStreamName}' must be 1 to 64 letters, digits, '_', '-' or '.'`,
    );
  }
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new ArchiveLayoutError(`delivery stream version must be an integer from 1, got ${version}`);
  }
  if (!UUID.test(id)) throw new ArchiveLayoutError(`object id '${id}' must be a lowercase UUID`);
  checkDate(deliveredAt, 'deliveredAt');
  const prefix = renderArchivePrefix(ARCHIVE_PREFIX, oldestArrival);
  const t = deliveredAt;
  const stamp = [
    pad(t.getUTCFullYear(), 4),
    pad(t.getUTCMonth() + 1, 2),
    pad(t.getUTCDate(), 2),
    pad(t.getUTCHours(), 2),
    pad(t.getUTCMinutes(), 2),
    pad(t.getUTCSeconds(), 2),
  ].join('-');
  return `${prefix}${deliveryStreamName}-${version}-${stamp}-${id}${ARCHIVE_FILE_EXTENSION}`;
}

/** What an archive object's key says about it. */
export interface ArchiveObjectName {
  readonly deliveryStreamName: string;
  readonly version: number;
  /** The partition's hour, in UTC: the oldest record's arrival truncated to the hour. */
  readonly partitionHour: Date;
  /** The file name's timestamp, to the second. */
  readonly deliveredAt: Date;
  readonly id: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const PREFIX_SEGMENTS = compilePrefix(ARCHIVE_PREFIX);
const PREFIX_PATTERN = PREFIX_SEGMENTS.map((segment) =>
  segment.kind === 'literal'
    ? escapeRegExp(segment.text)
    : segment.kind === 'timestamp'
      ? `(\\d{${segment.width}})`
      : '([A-Za-z-]+)',
).join('');
// <stream name>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><extension>
const FILE_NAME_PATTERN = `(${STREAM_NAME_SOURCE})-(\\d+)-(\\d{4})-${'(\\d{2})-'.repeat(5)}(${UUID_SOURCE})${escapeRegExp(ARCHIVE_FILE_EXTENSION)}`;
const KEY_PATTERN = new RegExp(`^${PREFIX_PATTERN}${FILE_NAME_PATTERN}$`);

/** A UTC date from its parts, or `undefined` when they name no real instant (month 13, 31 April, hour 24). */
function utcDate(parts: readonly number[]): Date | undefined {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const back = [
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
  ];
  return back.every((value, i) => value === [year, month, day, hour, minute, second][i]) ? date : undefined;
}

/**
 * Reads an archive object's key back. Returns `undefined` for any key that is not an archive
 * object under `ARCHIVE_PREFIX` (error output, foreign files, impossible dates), so a reader can
 * list a bucket and skip what is not its own.
 */
export function parseArchiveObjectKey(key: string): ArchiveObjectName | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const groups = match.slice(1);
  const fields: Partial<Record<Field, number>> = {};
  let g = 0;
  for (const segment of PREFIX_SEGMENTS) {
    if (segment.kind === 'literal') continue;
    const text = groups[g++] ?? '';
    if (segment.kind !== 'timestamp') continue;
    const value = Number(text);
    // A field used twice in one prefix must read the same: Firehose evaluates one instant.
    if (fields[segment.field] !== undefined && fields[segment.field] !== value) return undefined;
    fields[segment.field] = value;
  }
  const [name = '', version = '', ...rest] = groups.slice(g);
  const id = rest.pop() ?? '';
  const partitionHour = utcDate([fields.year ?? 1970, fields.month ?? 1, fields.day ?? 1, fields.hour ?? 0]);
  const deliveredAt = utcDate(rest.map(Number));
  const parsedVersion = Number(version);
  if (!partitionHour || !deliveredAt || !Number.isSafeInteger(parsedVersion) || parsedVersion < 1) {
    return undefined;
  }
  return { deliveryStreamName: name, version: parsedVersion, partitionHour, deliveredAt, id };
}
