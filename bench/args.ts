import { UsageError } from '../cli/flags.js';
import { BENCHMARKS, type BenchmarkName } from './figures.js';

/** The names the benchmarks had before: `npm run bench -- dashboard pipeline` still works. */
export const BENCHMARK_ALIASES: Readonly<Record<string, BenchmarkName>> = {
  dashboard: 'query',
  pipeline: 'end-to-end',
};

export interface BenchArgs {
  /** In the order asked, each once; every benchmark when none is named. */
  readonly selected: readonly BenchmarkName[];
  /** Exit 1 when a target is missed. */
  readonly check: boolean;
  /** The JSON document alone on stdout; everything else on stderr. */
  readonly json: boolean;
}

const FLAGS = ['--check', '--json'] as const;

/** `npm run bench -- [validator|loader|query|end-to-end|storage|compression|otlp|viewers|regions …] [--check] [--json]` */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const badFlags = argv.filter((a) => a.startsWith('-') && !(FLAGS as readonly string[]).includes(a));
  if (badFlags.length > 0) {
    throw new UsageError(`unknown option ${badFlags.join(', ')}; the options are ${FLAGS.join(', ')}`);
  }
  const names = argv.filter((a) => !a.startsWith('-'));
  const resolve = (name: string): BenchmarkName | undefined =>
    (BENCHMARKS as readonly string[]).includes(name) ? (name as BenchmarkName) : BENCHMARK_ALIASES[name];
  const unknown = names.filter((n) => resolve(n) === undefined);
  if (unknown.length > 0) {
    const aliases = Object.entries(BENCHMARK_ALIASES)
      .map(([alias, name]) => `${alias} = ${name}`)
      .join(', ');
    throw new UsageError(
      `unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ')}; choose from ${BENCHMARKS.join(', ')} (or ${aliases})`,
    );
  }
  const asked = names.map((n) => resolve(n)).filter((n): n is BenchmarkName => n !== undefined);
  return {
    selected: asked.length > 0 ? [...new Set(asked)] : [...BENCHMARKS],
    check: argv.includes('--check'),
    json: argv.includes('--json'),
  };
}
