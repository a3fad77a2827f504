import { mkdtemp, rm } from 'node:fs/promises';
import { arch, cpus, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../cli/flags.js';
import { spawnTypeScript } from '../cli/typescript-process.js';
import { applyHeapTuning } from '../functions/shared/heap-tuning.js';
import { parseBenchArgs } from './args.js';
import { benchCompression, compressionFigures, printCompression } from './compression.js';
import {
  type BenchFigure,
  type BenchMachine,
  type BenchmarkName,
  benchReport,
  formatFigureTable,
} from './figures.js';
import { JSON_OUT_FLAG, readFiguresFile } from './figures-file.js';
import { benchOtlp, otlpFigures, printOtlp } from './otlp.js';
import { benchValidator, printValidator, validatorFigures } from './validator.js';

/**
 * `npm run bench [-- validator loader query end-to-end storage compression otlp viewers regions] [--check] [--json]`: every benchmark, each
 * figure as a ratio against a limit measured in the same run, then one table of them all.
 * Targets come from the issues; a miss is shown, and `--check` turns it into exit code 1. With
 * `--json`, stdout carries only the JSON document and everything else goes to stderr.
 *
 * The ClickHouse benchmarks run in processes of their own (the embedded engine takes one data
 * directory per process); each prints its progress and writes its figures to a file it is given.
 */

/** The benchmarks that run in this process: they need no engine. */
type InProcess = 'validator' | 'compression' | 'otlp';

/** The module each child benchmark runs; the others run in this process. */
const CHILD_SCRIPTS: Readonly<Record<Exclude<BenchmarkName, InProcess>, string>> = {
  loader: 'loader.ts',
  query: 'dashboard.ts',
  'end-to-end': 'pipeline.ts',
  storage: 'storage.ts',
  viewers: 'viewers.ts',
  regions: 'regions.ts',
};

/**
 * The validator and the OTLP benchmarks run the validator's core in this process: with the V8
 * settings its handler sets as it loads, as the deployed function and `npm start` run it.
 */
const V8_FLAGS = applyHeapTuning();

function machine(): BenchMachine {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown cpu',
    node: process.version,
    platform: `${platform()} ${arch()}`,
    v8Flags: V8_FLAGS,
  };
}

/**
 * Runs a child benchmark with `--json-out` and returns its figures, or the reason it has none.
 * With `--json` its stdout goes to our stderr, so our stdout stays the JSON document alone.
 */
async function child(
  name: Exclude<BenchmarkName, InProcess>,
  dir: string,
  json: boolean,
): Promise<BenchFigure[] | string> {
  const script = fileURLToPath(new URL(`./${CHILD_SCRIPTS[name]}`, import.meta.url));
  const file = join(dir, `${name}.json`);
  const proc = spawnTypeScript(script, [JSON_OUT_FLAG, file], {
    stdio: ['inherit', json ? 2 : 'inherit', 'inherit'],
  });
  const code = await new Promise<number | string>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (status, signal) => resolve(status ?? signal ?? 'unknown'));
  });
  if (code !== 0) return `exited with ${code}`;
  try {
    return await readFiguresFile(file);
  } catch (error) {
    return `wrote no figures: ${(error as Error).message}`;
  }
}

/** The validator core, in this process: it needs no engine. */
async function validator(say: (line: string) => void): Promise<BenchFigure[] | string> {
  try {
    const result = await benchValidator();
    printValidator(result, say);
    return validatorFigures(result);
  } catch (error) {
    console.error(error);
    return `threw: ${(error as Error).message}`;
  }
}

/** The workloads' compression, in this process: zlib alone. */
function compression(say: (line: string) => void): BenchFigure[] | string {
  try {
    const result = benchCompression();
    printCompression(result, say);
    return compressionFigures(result);
  } catch (error) {
    console.error(error);
    return `threw: ${(error as Error).message}`;
  }
}

/** OTLP protobuf and JSON against the native API through the validator core, in this process. */
async function otlp(say: (line: string) => void): Promise<BenchFigure[] | string> {
  try {
    const result = await benchOtlp();
    printOtlp(result, say);
    return otlpFigures(result);
  } catch (error) {
    console.error(error);
    return `threw: ${(error as Error).message}`;
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  // Human output goes to stdout, or to stderr when stdout is the JSON document.
  const say = args.json ? console.error : console.log;
  const m = machine();
  const date = new Date();
  say(`EvalForge benchmarks: ${date.toISOString()}, ${args.selected.join(', ')}`);

  const figures: BenchFigure[] = [];
  const failed: BenchmarkName[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'evalforge-bench-'));
  try {
    for (const name of args.selected) {
      const got =
        name === 'validator'
          ? await validator(say)
          : name === 'compression'
            ? compression(say)
            : name === 'otlp'
              ? await otlp(say)
              : await child(name, dir, args.json);
      if (typeof got === 'string') {
        console.error(`\n${name} benchmark failed: ${got}`);
        failed.push(name);
      } else {
        figures.push(...got);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const report = benchReport(figures, m, date, failed);
  say(`\n${formatFigureTable(figures, m)}`);
  if (failed.length > 0) say(`\nfailed, no figures: ${failed.join(', ')}`);
  if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (failed.length > 0 || (args.check && !report.allTargetsMet)) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
