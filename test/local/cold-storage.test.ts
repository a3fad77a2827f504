import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/flags.js';
import { rowsDays } from '../../clickhouse/retention.js';
import { DEFAULT_MOVE_FACTOR } from '../../lib/constructs/clickhouse/storage-config.js';
import {
  describeRetention,
  LOCAL_COLD_STORAGE,
  LOCAL_RETENTION,
  localStorageConfig,
  retentionFromFlags,
} from '../../local/cold-storage.js';

const tag = (xml: string, name: string) =>
  [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

describe('localStorageConfig', () => {
  const xml = localStorageConfig('http://127.0.0.1:4569');

  it("puts the cold disk in the local bucket under the first node's prefix", () => {
    expect(tag(xml, 'endpoint')).toEqual([
      `http://127.0.0.1:4569/${LOCAL_COLD_STORAGE.bucket}/${LOCAL_COLD_STORAGE.prefix}`,
    ]);
  });

  it("moves by free space only when the machine's disk is nearly full, not at the deployed quarter", () => {
    expect(tag(xml, 'move_factor')).toEqual([String(LOCAL_COLD_STORAGE.moveFactor)]);
    expect(LOCAL_COLD_STORAGE.moveFactor).toBeLessThan(DEFAULT_MOVE_FACTOR);
    expect(LOCAL_COLD_STORAGE.moveFactor).toBeGreaterThan(0);
  });
});

describe('retentionFromFlags', () => {
  it("is tier 1's retention without flags", () => {
    expect(retentionFromFlags({})).toEqual(LOCAL_RETENTION);
  });

  it('sets each field its flag names and keeps the rest', () => {
    const retention = retentionFromFlags({ 'hot-days': '0', 'bodies-days': '3', 'hour-rollup-days': '30' });
    expect(retention).toEqual({ ...LOCAL_RETENTION, hotDays: 0, bodiesDays: 3, hourRollupDays: 30 });
  });

  it.each([
    ['hot-days', '-1'],
    ['hot-days', '1.5'],
    ['warm-days', 'ten'],
    ['bodies-days', ''],
    ['minute-rollup-days', '0'],
    ['hour-rollup-days', '1e3'],
  ] as const)('refuses --%s %j, naming the flag', (flag, value) => {
    expect(() => retentionFromFlags({ [flag]: value })).toThrow(UsageError);
    expect(() => retentionFromFlags({ [flag]: value })).toThrow(`--${flag}`);
  });

  it('refuses rows kept no day at all', () => {
    expect(() => retentionFromFlags({ 'hot-days': '0', 'warm-days': '0' })).toThrow(
      /--hot-days \+ --warm-days/,
    );
  });

  it('refuses bodies kept longer than their rows', () => {
    const rows = rowsDays(LOCAL_RETENTION);
    expect(() => retentionFromFlags({ 'bodies-days': String(rows + 1) })).toThrow(/--bodies-days/);
  });
});

describe('describeRetention', () => {
  it('names the hot days, the bucket and the day rows are deleted', () => {
    const line = describeRetention({ ...LOCAL_RETENTION, hotDays: 1 });
    expect(line).toContain('hot 1 day,');
    expect(line).toContain(LOCAL_COLD_STORAGE.bucket);
    expect(line).toContain(`deleted at ${rowsDays({ ...LOCAL_RETENTION, hotDays: 1 })} days`);
  });
});
