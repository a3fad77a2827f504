import { readFile, writeFile } from 'node:fs/promises';
import { BENCHMARKS, type BenchFigure } from './figures.js';

/**
 * How a benchmark in a process of its own hands its figures to `bench/run.ts`: run with
 * `--json-out <file>`, it writes `{ "figures": [...] }` there, besides printing as always.
 */

export const JSON_OUT_FLAG = '--json-out';

/** The file after `--json-out`, if the flag was given. */
export function jsonOutPath(argv: readonly string[]): string | undefined {
  const i = argv.indexOf(JSON_OUT_FLAG);
  if (i < 0) return undefined;
  const file = argv[i + 1];
  if (file === undefined || file.startsWith('--')) throw new Error(`${JSON_OUT_FLAG} needs a file name`);
  return file;
}

export async function writeFiguresFile(file: string, figures: readonly BenchFigure[]): Promise<void> {
  await writeFile(file, `${JSON.stringify({ figures }, null, 2)}\n`);
}

/** The figures a child wrote; throws naming the file if it holds anything else. */
export async function readFiguresFile(file: string): Promise<BenchFigure[]> {
  const doc = JSON.parse(await readFile(file, 'utf8')) as { figures?: unknown };
  const figures = doc.figures;
  const valid = (f: unknown): f is BenchFigure => {
    const g = f as Partial<BenchFigure> | null;
    return (
      typeof g === 'object' &&
      g !== null &&
      (BENCHMARKS as readonly unknown[]).includes(g.benchmark) &&
      typeof g.figure === 'string' &&
      // NaN (a percentile of no samples) is written as null.
      (typeof g.value === 'number' || g.value === null) &&
      typeof g.unit === 'string'
    );
  };
  if (!Array.isArray(figures) || !figures.every(valid)) {
    throw new Error(`${file} does not hold { figures: BenchFigure[] }`);
  }
  return figures.map((f) => ({
    ...f,
    value: f.value ?? Number.NaN,
    ...(f.ratio !== undefined && { ratio: f.ratio ?? Number.NaN }),
  }));
}
