import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_ERROR_PREFIX,
  ARCHIVE_FILE_EXTENSION,
  ARCHIVE_PREFIX,
  ArchiveLayoutError,
  archiveObjectKey,
  parseArchiveObjectKey,
  renderArchivePrefix,
} from '../../../../functions/shared/contract/archive-layout.js';

const ID = '0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f';

describe('renderArchivePrefix', () => {
  it.each([
    ['an ordinary hour', '2025-06-15T14:37:12.345Z', 'events/year=2025/month=06/day=15/hour=14/'],
    ['the last instant of a year', '2024-12-31T23:59:59.999Z', 'events/year=2024/month=12/day=31/hour=23/'],
    ['the first instant of a year', '2025-01-01T00:00:00.000Z', 'events/year=2025/month=01/day=01/hour=00/'],
    ['the last instant of a day', '2025-03-09T23:59:59.999Z', 'events/year=2025/month=03/day=09/hour=23/'],
    ['midnight UTC', '2025-03-10T00:00:00.000Z', 'events/year=2025/month=03/day=10/hour=00/'],
    ['a leap day', '2024-02-29T05:00:00.000Z', 'events/year=2024/month=02/day=29/hour=05/'],
    // 19:30 on 31 December in New York is already the next year in UTC.
    ['a local time, read in UTC', '2024-12-31T19:30:00-05:00', 'events/year=2025/month=01/day=01/hour=00/'],
  ])('evaluates ARCHIVE_PREFIX at %s', (_, at, expected) => {
    expect(renderArchivePrefix(ARCHIVE_PREFIX, new Date(at))).toBe(expected);
  });

  it.each([
    ['processing-failed', 'errors/processing-failed/year=2025/month=01/day=01/hour=00/'],
    ['format-conversion-failed', 'errors/format-conversion-failed/year=2025/month=01/day=01/hour=00/'],
  ] as const)('evaluates ARCHIVE_ERROR_PREFIX for %s', (errorOutputType, expected) => {
    const at = new Date('2025-01-01T00:59:59.999Z');
    expect(renderArchivePrefix(ARCHIVE_ERROR_PREFIX, at, { errorOutputType })).toBe(expected);
  });

  it.each([
    ['a pattern with literal separators', 'dt=!{timestamp:yyyy-MM-dd}/', 'dt=2025-01-02/'],
    ['a quoted literal', "!{timestamp:yyyy'T'HH}", '2025T03'],
    ['an escaped quote', "!{timestamp:yyyy''MM}", "2025'01"],
    ['a prefix without expressions', 'static/', 'static/'],
    ['the same field twice', '!{timestamp:HH}/!{timestamp:HH}', '03/03'],
  ])('evaluates %s', (_, template, expected) => {
    expect(renderArchivePrefix(template, new Date('2025-01-02T03:04:05Z'))).toBe(expected);
  });

  it.each([
    ['an unknown namespace', 'x/!{partitionKeyFromQuery:project}/', /unsupported prefix expression/],
    ['an unsupported firehose value', 'x/!{firehose:random-string}/', /unsupported prefix expression/],
    ['an expression without a namespace', '!{yyyy}/', /unsupported prefix expression/],
    ['an unterminated expression', 'year=!{timestamp:yyyy/', /unterminated expression/],
    ['a nested expression', '!{timestamp:!{timestamp:yyyy}}', /cannot be nested/],
    ['an empty timestamp pattern', '!{timestamp:}/', /empty timestamp pattern/],
    ['a two-letter year', '!{timestamp:yy}/', /'yy' is not supported; use yyyy, MM, dd, HH/],
    ['minutes', '!{timestamp:mm}/', /'mm' is not supported/],
    ['a 12-hour clock', '!{timestamp:hh}/', /'hh' is not supported/],
    ['an unterminated quote', "!{timestamp:yyyy'T}/", /unterminated quote/],
    ['a reserved character', '!{timestamp:yyyy#}/', /'#' is reserved/],
  ])('rejects %s with a clear error', (_, template, message) => {
    const render = () => renderArchivePrefix(template, new Date('2025-01-02T03:04:05Z'));
    expect(render).toThrow(ArchiveLayoutError);
    expect(render).toThrow(message);
  });

  it('rejects the error prefix without an error output type', () => {
    expect(() => renderArchivePrefix(ARCHIVE_ERROR_PREFIX, new Date())).toThrow(
      /error-output-type} needs an errorOutputType/,
    );
  });

  it('rejects an invalid date', () => {
    expect(() => renderArchivePrefix(ARCHIVE_PREFIX, new Date('not a date'))).toThrow(/not a valid date/);
  });
});

describe('archiveObjectKey', () => {
  it.each([
    {
      name: 'partitions by the oldest arrival and names the file by the delivery time',
      oldestArrival: '2025-06-15T14:59:58.000Z',
      deliveredAt: '2025-06-15T15:00:03.250Z',
      key: `events/year=2025/month=06/day=15/hour=14/evalforge-archive-1-2025-06-15-15-00-03-${ID}.ndjson.gz`,
    },
    {
      name: 'keeps a batch that crossed the new year in the old year',
      oldestArrival: '2024-12-31T23:59:59.900Z',
      deliveredAt: '2025-01-01T00:00:04.000Z',
      key: `events/year=2024/month=12/day=31/hour=23/evalforge-archive-1-2025-01-01-00-00-04-${ID}.ndjson.gz`,
    },
    {
      name: 'puts a batch that started at midnight in the new day',
      oldestArrival: '2025-03-10T00:00:00.000Z',
      deliveredAt: '2025-03-10T00:05:00.999Z',
      key: `events/year=2025/month=03/day=10/hour=00/evalforge-archive-1-2025-03-10-00-05-00-${ID}.ndjson.gz`,
    },
  ])('$name', ({ oldestArrival, deliveredAt, key }) => {
    expect(
      archiveObjectKey({
        deliveryStreamName: 'evalforge-archive',
        version: 1,
        oldestArrival: new Date(oldestArrival),
        deliveredAt: new Date(deliveredAt),
        id: ID,
      }),
    ).toBe(key);
  });

  it('ends in the configured file extension', () => {
    const key = archiveObjectKey({
      deliveryStreamName: 's',
      version: 7,
      oldestArrival: new Date(0),
      deliveredAt: new Date(0),
      id: ID,
    });
    expect(key.endsWith(`-1970-01-01-00-00-00-${ID}${ARCHIVE_FILE_EXTENSION}`)).toBe(true);
    expect(key).toContain('/s-7-1970-');
  });

  it.each([
    ['a stream name with a slash', { deliveryStreamName: 'a/b' }, /delivery stream name 'a\/b'/],
    ['an empty stream name', { deliveryStreamName: '' }, /delivery stream name ''/],
    ['a stream name over 64 characters', { deliveryStreamName: 'x'.repeat(65) }, /1 to 64/],
    ['version 0', { version: 0 }, /version must be an integer from 1, got 0/],
    ['a fractional version', { version: 1.5 }, /version must be an integer/],
    ['an id that is not a UUID', { id: '../escape' }, /must be a lowercase UUID/],
    ['an uppercase UUID', { id: ID.toUpperCase() }, /must be a lowercase UUID/],
    ['an invalid delivery time', { deliveredAt: new Date(Number.NaN) }, /deliveredAt is not a valid date/],
    ['an invalid arrival time', { oldestArrival: new Date(Number.NaN) }, /not a valid date/],
  ])('rejects %s', (_, override, message) => {
    const input = {
      deliveryStreamName: 'evalforge-archive',
      version: 1,
      oldestArrival: new Date('2025-01-01T00:00:00Z'),
      deliveredAt: new Date('2025-01-01T00:00:00Z'),
      id: ID,
      ...override,
    };
    expect(() => archiveObjectKey(input)).toThrow(ArchiveLayoutError);
    expect(() => archiveObjectKey(input)).toThrow(message);
  });
});

describe('parseArchiveObjectKey', () => {
  it.each([
    ['evalforge-archive', 1, '2024-12-31T23:59:59.999Z', '2025-01-01T00:00:01.500Z'],
    // Stream names may hold hyphens, digits and dots: the parse must still find the version.
    ['evalforge-archive-2-v1.0', 12, '2025-06-15T14:00:00.000Z', '2025-06-15T14:05:59.000Z'],
    ['s', 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'],
  ])('reads back %s version %i', (deliveryStreamName, version, oldestArrival, deliveredAt) => {
    const arrival = new Date(oldestArrival);
    const key = archiveObjectKey({
      deliveryStreamName,
      version,
      oldestArrival: arrival,
      deliveredAt: new Date(deliveredAt),
      id: ID,
    });
    const hour = new Date(arrival);
    hour.setUTCMinutes(0, 0, 0);
    const second = new Date(deliveredAt);
    second.setUTCMilliseconds(0);

    expect(parseArchiveObjectKey(key)).toEqual({
      deliveryStreamName,
      version,
      partitionHour: hour,
      deliveredAt: second,
      id: ID,
    });
  });

  const valid = `events/year=2025/month=01/day=01/hour=00/evalforge-archive-1-2025-01-01-00-00-04-${ID}.ndjson.gz`;

  it.each([
    [
      'error output',
      `errors/processing-failed/year=2025/month=01/day=01/hour=00/s-1-2025-01-01-00-00-04-${ID}`,
    ],
    ['another extension', valid.replace('.ndjson.gz', '.json')],
    ['a month that does not exist', valid.replace('month=01', 'month=13')],
    ['31 April', valid.replace('month=01/day=01', 'month=04/day=31')],
    ['hour 24', valid.replace('hour=00', 'hour=24')],
    ['a file time that does not exist', valid.replace('2025-01-01-00-00-04', '2025-01-01-00-61-04')],
    ['version 0', valid.replace('archive-1-', 'archive-0-')],
    ['a missing stream name', valid.replace('evalforge-archive-1', '1')],
    ['a missing uuid', valid.replace(ID, 'abc')],
    ['a key under another root', `other/${valid}`],
    ['an extra folder', valid.replace('hour=00/', 'hour=00/extra/')],
  ])('returns undefined for %s', (_, key) => {
    expect(parseArchiveObjectKey(key)).toBeUndefined();
  });
});

describe('the layout Firehose is given', () => {
  it('partitions by hour, Hive style, and ends each prefix in a slash', () => {
    expect(ARCHIVE_PREFIX).toMatch(/^events\/year=.*\/hour=!\{timestamp:HH\}\/$/);
    expect(ARCHIVE_ERROR_PREFIX.endsWith('/')).toBe(true);
  });

  it('keeps the error output out of the events tree', () => {
    const at = new Date('2025-01-01T00:00:00Z');
    const errors = renderArchivePrefix(ARCHIVE_ERROR_PREFIX, at, { errorOutputType: 'processing-failed' });
    expect(errors.startsWith('events/')).toBe(false);
    expect(ARCHIVE_PREFIX).not.toContain('error-output-type');
  });
});
