import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/args.js';
import type { BenchFigure } from '../../bench/figures.js';
import { jsonOutPath, readFiguresFile, writeFiguresFile } from '../../bench/figures-file.js';
import { UsageError } from '../../cli/flags.js';

describe('parseBenchArgs', () => {
  it.each([
    [
      [],
      ['validator', 'loader', 'query', 'end-to-end', 'storage', 'compression', 'otlp', 'viewers', 'regions'],
    ],
    [['otlp'], ['otlp']],
    [['compression'], ['compression']],
    [
      ['loader', 'validator'],
      ['loader', 'validator'],
    ],
    [['dashboard'], ['query']],
    [['pipeline', '--check'], ['end-to-end']],
    [['query', 'dashboard', 'query'], ['query']],
  ])('%j selects %j', (argv, selected) => {
    expect(parseBenchArgs(argv).selected).toEqual(selected);
  });

  it('reads --check and --json', () => {
    expect(parseBenchArgs(['validator'])).toMatchObject({ check: false, json: false });
    expect(parseBenchArgs(['--json', 'validator', '--check'])).toEqual({
      selected: ['validator'],
      check: true,
      json: true,
    });
  });

  it('rejects an unknown benchmark, naming it and every valid name', () => {
    expect(() => parseBenchArgs(['validator', 'querry'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['querry', 'e2e'])).toThrow(
      'unknown benchmark "querry", "e2e"; choose from validator, loader, query, end-to-end, storage, compression, otlp, viewers, regions ' +
        '(or dashboard = query, pipeline = end-to-end)',
    );
  });

  it('rejects an unknown option', () => {
    expect(() => parseBenchArgs(['--jsno'])).toThrow(
      'unknown option --jsno; the options are --check, --json',
    );
  });
});

describe('the figures file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalforge-bench-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the file after --json-out', () => {
    expect(jsonOutPath(['--check', '--json-out', '/tmp/x.json'])).toBe('/tmp/x.json');
    expect(jsonOutPath(['--check'])).toBeUndefined();
    expect(() => jsonOutPath(['--json-out'])).toThrow(/needs a file name/);
    expect(() => jsonOutPath(['--json-out', '--check'])).toThrow(/needs a file name/);
  });

  it('reads back what a child wrote, NaN included', async () => {
    const figures: BenchFigure[] = [
      {
        benchmark: 'end-to-end',
        figure: 'accepted',
        value: 2_000,
        unit: 'events/s',
        limit: { name: 'offered', value: 4_000, unit: 'events/s' },
        ratio: 0.5,
        target: { text: '>= 10,000 events/s', met: false },
      },
      { benchmark: 'end-to-end', figure: 'freshness p95', value: Number.NaN, unit: 's' },
    ];
    const file = join(dir, 'figures.json');
    await writeFiguresFile(file, figures);
    expect(await readFiguresFile(file)).toEqual(figures);
  });

  it('rejects a file that does not hold figures', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ figures: [{ benchmark: 'dashboard', figure: 'x', value: 1, unit: 'ms' }] }),
    );
    await expect(readFiguresFile(file)).rejects.toThrow(/does not hold \{ figures: BenchFigure\[\] \}/);
    await writeFile(file, '{}');
    await expect(readFiguresFile(file)).rejects.toThrow(/does not hold/);
  });
});
