import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * Reading a command's flags, for every command of the repository: `npm run demo`, `keys`,
 * `dead-letters`, `load` and `bench`. Each command words its own messages; what a flag must be
 * is checked here once.
 */

/**
 * Arguments a command cannot run with: the command answers exit code 2, and the message names the
 * flag or variable at fault and what it must be.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `-h` and `--help`, as every command takes them. */
export const HELP_FLAG = { help: { type: 'boolean', short: 'h' } } as const;

/** Options that each take a value (`--rate 200`), for `parseArgs`: one `{ type: 'string' }` per name. */
export function stringFlags<const N extends string>(
  ...names: N[]
): { readonly [K in N]: { readonly type: 'string' } } {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' }])) as {
    readonly [K in N]: { readonly type: 'string' };
  };
}

/**
 * `parseArgs`, with what it refuses (an unknown option, an option missing its value) thrown as a
 * UsageError carrying its message, which names the option.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The number `text` spells as `Number` reads it (`1e3` and `0x10` included), when it is finite
 * and, with `integer`, whole; blank text spells none.
 */
export function readNumber(text: string, options: { readonly integer?: boolean } = {}): number | undefined {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value) || (options.integer && !Number.isInteger(value))) return undefined;
  return value;
}

/**
 * A whole number from `min` to `max` written in decimal digits alone: no sign, point or exponent,
 * and no more digits than `max` has (so a port, a seed or a row limit is typed as it is meant).
 */
export function readWholeNumber(text: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(text) || text.length > String(max).length) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

/** A value the user typed, quoted for a message (JSON string syntax), cut at 64 characters. */
export const quotedArgument = (text: string): string =>
  JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);

/**
 * `parseFlags` for a command that takes flags alone: a stray word (a value without its flag, a
 * typo for one) is a UsageError naming it, as `what` (the command) takes no arguments.
 */
export function parseOnlyFlags<const O extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: O,
  what = 'every option',
) {
  const { values, positionals } = parseFlags({
    args: [...argv],
    options,
    allowPositionals: true,
    strict: true,
  });
  const [extra] = positionals;
  if (extra !== undefined) {
    throw new UsageError(`unexpected argument ${quotedArgument(extra)}: ${what} is a --flag`);
  }
  return values;
}
