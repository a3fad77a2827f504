import { resolve } from 'node:path';
import {
  HELP_FLAG,
  parseOnlyFlags,
  quotedArgument,
  readWholeNumber,
  stringFlags,
  UsageError,
} from '../cli/flags.js';
import { isMainModule } from '../cli/main-module.js';
import { type DeadLetterRow, QUERY_LIMITS } from '../functions/query/queries.js';
import type { RedriveOptions, RedriveSummary } from '../functions/replay/redrive.js';
import { PROJECT_ID_PATTERN } from '../functions/shared/contract/event.js';
import {
  API_TARGET_OPTIONS,
  type ApiTarget,
  fetchFailure,
  NPM_START_DEFAULTS,
  readApiKey,
  resolveApiTarget,
} from './api-target.js';
import type { TextSink } from './keys-cli.js';

/**
 * `npm run dead-letters`: lists the dead letters of an API key's project through the query API
 * (`GET /v1/dead-letters`): the events ClickHouse refused, which the loader set aside with the
 * engine's reason and the event's line from its stream record.
 *
 * `npm run dead-letters -- redrive` sends the letters back through the loader once what refused
 * them is fixed (functions/replay/redrive.ts), on the local engine: the command only reads its
 * arguments and reports; its `redrive` dependency runs it.
 */

export const DEAD_LETTERS_DEFAULTS = {
  window: '24h',
  limit: 100,
  ...NPM_START_DEFAULTS,
  /** Characters a printed row may take when the output is not a terminal. */
  columns: 120,
  timeoutMs: 30_000,
} as const;

// The query API's own limits: a mistake is named as the flag typed, not as the API's parameter.
const MAX_LIMIT = QUERY_LIMITS.maxRows;
const MAX_WINDOW_MS = QUERY_LIMITS.maxWindowMs;

export const DEAD_LETTERS_USAGE = `Usage: npm run dead-letters -- [options]

Lists the dead letters of the API key's project, newest first: events ClickHouse refused, which
the loader set aside in load_dead_letters with the engine's error and the event's line.
Reads the query API (GET /v1/dead-letters) of a running npm start or of a deployment.

Options:
  --window <length>  how far back from now: 15m, 1h, 24h, 7d, up to 31d (default ${DEAD_LETTERS_DEFAULTS.window})
  --from <time>      with --to, instead of --window: ISO-8601 times with a zone,
  --to <time>        like 2026-01-31T12:00:00Z
  --limit <n>        letters to list, 1 to ${MAX_LIMIT} (default ${DEAD_LETTERS_DEFAULTS.limit})
  --full             print each line and reason whole (a line as far as the API sends it, 16 KiB),
                     not cut to the terminal's width
  --json             print the API's answer as JSON
  --url <url>        the API; env EVALFORGE_URL (default http://127.0.0.1:$PORT, PORT defaulting
                     to ${DEAD_LETTERS_DEFAULTS.port}: where npm start listens)
  --api-key <key>    env EVALFORGE_API_KEY (default: the key npm start wrote to
                     $EVALFORGE_DATA_DIR/dev-api-key, EVALFORGE_DATA_DIR defaulting to ${DEAD_LETTERS_DEFAULTS.dataDir})
  -h, --help         show this help

Exit codes: 0 listed (none is a list too), 1 the API could not be read, 2 bad arguments.

Once what refused the letters is fixed: npm run dead-letters -- redrive --help
`;

export const REDRIVE_USAGE = `Usage: npm run dead-letters -- redrive [options]

Sends dead letters back through the loader, once what refused them is fixed (a migration, a code
change): each letter's events are loaded if they are not stored yet, and each letter is redriven
once. A letter refused again gets a new letter, with the new reason, which a later redrive takes
up. Redriven letters are no longer listed.
Runs in the running npm start, or on its data directory when it is stopped
($EVALFORGE_DATA_DIR, default ${DEAD_LETTERS_DEFAULTS.dataDir}).

Options:
  --project <id>     only this project's letters; without it every project's, and the letters of
                     records whose project could not be read
  --reason <text>    only letters whose reason contains this text (any case), e.g. no_refused
  -h, --help         show this help

Exit codes: 0 redriven (none left is a success too), 1 the redrive failed or cannot run here,
2 bad arguments.
`;

export interface DeadLettersCommandDeps {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Read for EVALFORGE_URL, PORT, EVALFORGE_API_KEY and EVALFORGE_DATA_DIR. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A relative data directory resolves against it. */
  readonly cwd: string;
  /** The terminal's width; @default - `DEAD_LETTERS_DEFAULTS.columns` */
  readonly columns?: number;
  /** @default - `DEAD_LETTERS_DEFAULTS.timeoutMs` */
  readonly timeoutMs?: number;
  /**
   * Runs a redrive on the local engine, telling `onProgress` after each page of letters.
   * @default - none: `redrive` says it cannot run here
   */
  readonly redrive?: (
    options: RedriveOptions,
    onProgress: (summary: RedriveSummary) => void,
  ) => Promise<RedriveSummary>;
}

/** The query API's answer, as this command reads it. */
export interface DeadLettersAnswer {
  readonly project: string;
  readonly from: string;
  readonly to: string;
  readonly limit: number;
  readonly total: number;
  readonly dead_letters: readonly DeadLetterRow[];
}

/** The API, where its URL came from and the key (`local/api-target.ts`), and what to ask it. */
interface Options extends ApiTarget {
  /** The query string: window or from and to, and limit. */
  readonly query: URLSearchParams;
  readonly full: boolean;
  readonly json: boolean;
}

const OPTIONS = {
  ...stringFlags('window', 'from', 'to', 'limit'),
  full: { type: 'boolean' },
  json: { type: 'boolean' },
  ...API_TARGET_OPTIONS,
  ...HELP_FLAG,
} as const;

/**
 * Lists the dead letters, or with `redrive` first redrives them; returns the exit code (0 done,
 * 1 the API could not be read or the redrive failed, 2 bad arguments).
 */
export async function runDeadLettersCommand(
  argv: readonly string[],
  deps: DeadLettersCommandDeps,
): Promise<number> {
  if (argv[0] === 'redrive') return runRedrive(argv.slice(1), deps);
  let options: Options | 'help';
  try {
    options = parseDeadLettersArgs(argv, deps.env, deps.cwd);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    deps.stderr.write(`error: ${error.message}\n\nRun npm run dead-letters -- --help for the options.\n`);
    return 2;
  }
  if (options === 'help') {
    deps.stdout.write(DEAD_LETTERS_USAGE);
    return 0;
  }
  const fail = (message: string, code = 1) => {
    deps.stderr.write(`error: ${message}\n`);
    return code;
  };

  // The key file's path was made absolute from where the command runs, as messages name it.
  const key = await readApiKey(options.key);
  if (!key.ok) {
    return fail(
      key.cause === 'is empty'
        ? `no API key: ${key.path} is empty`
        : `no API key: ${key.path} ${key.cause}. npm start writes it at its first start (with the same EVALFORGE_DATA_DIR as here); or pass --api-key, or set EVALFORGE_API_KEY`,
    );
  }
  const apiKey = key.key;

  const path = `/v1/dead-letters?${options.query}`;
  let response: Response;
  try {
    response = await fetch(`${options.url}${path}`, {
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(deps.timeoutMs ?? DEAD_LETTERS_DEFAULTS.timeoutMs),
    });
  } catch (error) {
    return fail(
      `no EvalForge API answers at ${options.url} (${describeUrlSource(options)}): GET /v1/dead-letters ${fetchFailure(error)}. Start it with npm start, or pass --url`,
    );
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    const { code, message } = errorOf(text);
    const said = message === undefined ? excerpt(text) : `${code ?? 'error'}: ${message}`;
    const hint = hintFor(response.status, options);
    return fail(
      `GET /v1/dead-letters at ${options.url} answered ${response.status}${said ? ` ${said}` : ''}${hint ? `\n${hint}` : ''}`,
      response.status === 400 ? 2 : 1,
    );
  }
  let answer: DeadLettersAnswer;
  try {
    answer = JSON.parse(text) as DeadLettersAnswer;
    if (!Array.isArray(answer.dead_letters)) throw new Error('no dead_letters list');
  } catch (error) {
    return fail(
      `GET /v1/dead-letters at ${options.url} answered ${response.status} with a body that is not the dead-letter list (${(error as Error).message}): ${excerpt(text)}`,
    );
  }
  if (options.json) {
    deps.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return 0;
  }
  deps.stdout.write(
    formatDeadLetters(answer, { full: options.full, columns: deps.columns ?? DEAD_LETTERS_DEFAULTS.columns }),
  );
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Arguments

const WINDOW = /^(\d{1,9})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

const quoted = quotedArgument;

/**
 * Reads the flags and, for what they leave out, EVALFORGE_URL, PORT, EVALFORGE_API_KEY and
 * EVALFORGE_DATA_DIR. The window and limit are checked as the API checks them, so a mistake is
 * named as the flag the user typed.
 * @throws UsageError naming the flag or variable at fault.
 */
export function parseDeadLettersArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Options | 'help' {
  const values = parseOnlyFlags(argv, OPTIONS);
  if (values.help) return 'help';

  const query = new URLSearchParams();
  if (values.from !== undefined || values.to !== undefined) {
    if (values.window !== undefined)
      throw new UsageError('--window: give either --window or --from and --to');
    if (values.from === undefined) throw new UsageError('--from: is needed with --to');
    if (values.to === undefined) throw new UsageError('--to: is needed with --from');
    const from = instant('--from', values.from);
    const to = instant('--to', values.to);
    if (from >= to) throw new UsageError(`--from: must be before --to; got ${quoted(values.from)}`);
    if (to - from > MAX_WINDOW_MS) throw new UsageError('--to: must be at most 31 days after --from');
    query.set('from', values.from);
    query.set('to', values.to);
  } else {
    const window = values.window ?? DEAD_LETTERS_DEFAULTS.window;
    const match = WINDOW.exec(window);
    const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : Number.NaN;
    if (!(ms > 0 && ms <= MAX_WINDOW_MS)) {
      throw new UsageError(
        `--window: must be a length in minutes, hours or days (15m, 1h, 24h, 7d), from 1m to 31d; got ${quoted(window)}`,
      );
    }
    query.set('window', window);
  }
  const limitText = values.limit ?? String(DEAD_LETTERS_DEFAULTS.limit);
  const limit = readWholeNumber(limitText, 1, MAX_LIMIT);
  if (limit === undefined) {
    throw new UsageError(`--limit: must be a whole number from 1 to ${MAX_LIMIT}; got ${quoted(limitText)}`);
  }
  query.set('limit', String(limit));

  const target = resolveApiTarget(
    { url: values.url, apiKey: values['api-key'] },
    env,
    (name, problem) => new UsageError(`${name}: ${problem}`),
  );
  // A key file is named as the command reads it: from where it runs.
  const key =
    target.key.kind === 'file' ? { ...target.key, path: resolve(cwd, target.key.path) } : target.key;
  return { ...target, key, query, full: values.full ?? false, json: values.json ?? false };
}

function instant(name: '--from' | '--to', text: string): number {
  const ms = ISO_WITH_ZONE.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `${name}: must be an ISO-8601 time with a zone, like 2026-01-31T12:00:00Z; got ${quoted(text)}`,
    );
  }
  return ms;
}

/** Where the URL came from, as the messages say it. */
function describeUrlSource(options: Pick<Options, 'urlSource'>): string {
  return options.urlSource === 'default'
    ? 'the default, where npm start listens'
    : `from ${options.urlSource}`;
}

// ---------------------------------------------------------------------------------------------
// Redrive

/** Longer than any reason worth matching; the loader keeps 4,096 characters of one. */
const MAX_REASON_FILTER_CHARS = 1_000;

/**
 * Reads the redrive's flags.
 * @throws UsageError naming the flag at fault.
 */
export function parseRedriveArgs(argv: readonly string[]): RedriveOptions | 'help' {
  const values = parseOnlyFlags(
    argv,
    { ...stringFlags('project', 'reason'), ...HELP_FLAG },
    'every option of redrive',
  );
  if (values.help) return 'help';
  const options: { project?: string; reason?: string } = {};
  if (values.project !== undefined) {
    if (!PROJECT_ID_PATTERN.test(values.project)) {
      throw new UsageError(
        `--project: must be a project id (letters, digits, '.', '_', '-', up to 64, starting with a letter or digit); got ${quoted(values.project)}`,
      );
    }
    options.project = values.project;
  }
  if (values.reason !== undefined) {
    if (values.reason.trim() === '') throw new UsageError('--reason: must not be empty');
    if (values.reason.length > MAX_REASON_FILTER_CHARS) {
      throw new UsageError(`--reason: must be at most ${MAX_REASON_FILTER_CHARS} characters`);
    }
    options.reason = values.reason;
  }
  return options;
}

/** Which letters, as the messages say it. */
function describeSelection(options: RedriveOptions): string {
  const parts = [options.project === undefined ? 'of every project' : `of project ${options.project}`];
  if (options.reason !== undefined) parts.push(`whose reason contains ${quoted(options.reason)}`);
  return parts.join(' ');
}

/** A redrive's counts on one line: what the progress line and the summary say. */
export function formatRedriveProgress(s: RedriveSummary): string {
  return `${COUNT.format(s.letters)} letter${s.letters === 1 ? '' : 's'} redriven: ${COUNT.format(s.loaded)} loaded (${COUNT.format(s.events)} event${s.events === 1 ? '' : 's'}), ${COUNT.format(s.duplicates)} already stored, ${COUNT.format(s.refusedAgain)} refused again`;
}

/** What a finished redrive prints. */
export function formatRedriveSummary(summary: RedriveSummary, options: RedriveOptions): string {
  const which = describeSelection(options);
  if (summary.letters === 0) {
    return `No dead letters left to redrive ${which}: each was redriven before, or there is none.\n`;
  }
  const out = [`Redrove the dead letters ${which}.`, formatRedriveProgress(summary)];
  if (summary.refusedAgain > 0) {
    out.push(
      `${COUNT.format(summary.refusedAgain)} refused again: each has a new letter with the engine's new reason; npm run dead-letters -- --window 1h lists them (the letters of unreadable records, with no project, are in load_dead_letters only). Fix what refuses them, then redrive again.`,
    );
  }
  return `${out.join('\n')}\n`;
}

async function runRedrive(argv: readonly string[], deps: DeadLettersCommandDeps): Promise<number> {
  let options: RedriveOptions | 'help';
  try {
    options = parseRedriveArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    deps.stderr.write(
      `error: ${error.message}\n\nRun npm run dead-letters -- redrive --help for the options.\n`,
    );
    return 2;
  }
  if (options === 'help') {
    deps.stdout.write(REDRIVE_USAGE);
    return 0;
  }
  if (!deps.redrive) {
    deps.stderr.write('error: redrive cannot run here: this command has no local engine to run it on\n');
    return 1;
  }
  deps.stdout.write(`Redriving the dead letters ${describeSelection(options)}…\n`);
  let summary: RedriveSummary;
  try {
    summary = await deps.redrive(options, (progress) => {
      deps.stdout.write(`  ${formatRedriveProgress(progress)}\n`);
    });
  } catch (error) {
    deps.stderr.write(
      `error: the redrive stopped: ${(error as Error).message}\nThe letters it marked are done; run it again to finish the others: what it loaded before stopping is found stored, not loaded twice.\n`,
    );
    return 1;
  }
  deps.stdout.write(formatRedriveSummary(summary, options));
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Answers

/** The API's `{"error":{"code","message"}}`, or nothing when the body is not one. */
function errorOf(text: string): { code?: string; message?: string } {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = body.error ?? {};
    return {
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof message === 'string' ? { message } : {}),
    };
  } catch {
    return {};
  }
}

/** The start of a body that is not the API's JSON (a proxy's error page), on one line. */
const excerpt = (text: string) => printable(text.replace(/\s+/g, ' ').trim().slice(0, 200));

function hintFor(status: number, options: Options): string | undefined {
  switch (status) {
    case 401:
      return options.key.kind === 'file'
        ? `The key in ${options.key.path} is not one this API knows: it may be left from another data directory. Pass --api-key (or set EVALFORGE_API_KEY), or restart npm start with the same EVALFORGE_DATA_DIR as here.`
        : `Pass a key of this API (npm run keys -- create --project <id> makes one for npm start).`;
    case 404:
      return `This API has no GET /v1/dead-letters: is it an EvalForge from before the route? Restart npm start (or deploy) from this checkout.`;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// What it prints

const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * Control characters, and the ones that reorder text on a terminal, as JSON-style escapes: a
 * client's line is printed to the user's terminal and must not drive it.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (char) => {
    const escaped = JSON.stringify(char);
    return escaped.length === 4
      ? escaped.slice(1, -1)
      : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** `text` in at most `width` characters (code points), "…" ending it when cut. */
function cutToWidth(text: string, width: number): { text: string; cut: boolean } {
  const chars = [...text];
  if (chars.length <= width) return { text, cut: false };
  return { text: `${chars.slice(0, Math.max(1, width - 1)).join('')}…`, cut: true };
}

/**
 * `text` in rows of at most `width` characters, broken at spaces where it can be; at most
 * `maxRows`, the last ending in "…" when there was more.
 */
function wrap(text: string, width: number, maxRows: number): string[] {
  const rows: string[] = [];
  let rest = [...text];
  while (rest.length > width && rows.length < maxRows) {
    const space = rest.lastIndexOf(' ', width);
    const end = space > width / 2 ? space : width;
    rows.push(rest.slice(0, end).join(''));
    rest = rest.slice(end === space ? end + 1 : end);
  }
  if (rest.length === 0) return rows;
  if (rows.length < maxRows) return [...rows, rest.join('')];
  const last = rows.pop() ?? '';
  return [...rows, cutToWidth(`${last} ${rest.join('')}`, width).text];
}

/** The dead letters as rows a person reads: a heading line per letter, its reason and its line. */
export function formatDeadLetters(
  answer: DeadLettersAnswer,
  options: { readonly full: boolean; readonly columns: number },
): string {
  const span = `from ${answer.from} to ${answer.to}`;
  if (answer.dead_letters.length === 0) {
    return answer.total === 0
      ? `No dead letters in project ${answer.project} ${span}.\n`
      : `No dead letters listed of the ${COUNT.format(answer.total)} in project ${answer.project} ${span}.\n`;
  }
  const label = (name: string) => `  ${name.padEnd(7)} `;
  const width = Math.max(20, options.columns - label('').length);
  const out: string[] = [
    `Dead letters of project ${answer.project}, newest first: events ClickHouse refused.`,
    `Window: ${answer.from} to ${answer.to}.`,
    '',
  ];
  for (const letter of answer.dead_letters) {
    const record = letter.source.split('/').at(-1) ?? letter.source;
    out.push(
      [
        letter.failed_at,
        `request ${letter.request_id === '' ? '(unknown)' : printable(letter.request_id)}`,
        letter.engine_code === 0 ? 'not from the engine' : `engine code ${letter.engine_code}`,
      ].join('  '),
    );
    out.push(`${label('record')}${printable(record)}`);
    const reason = wrap(
      printable(letter.reason.replace(/\s+/g, ' ').trim()),
      width,
      options.full ? Infinity : 4,
    );
    reason.forEach((row, i) => {
      out.push(`${label(i === 0 ? 'reason' : '')}${row}`);
    });
    const line = options.full
      ? { text: printable(letter.line), cut: false }
      : cutToWidth(printable(letter.line), width);
    out.push(`${label('line')}${line.text}`);
    if (line.cut || letter.line_truncated) {
      const notes = [`${COUNT.format(letter.line_bytes)} bytes in all`];
      if (line.cut) notes.push('--full prints more');
      else notes.push(`the API sends the first ${COUNT.format(Buffer.byteLength(letter.line))}`);
      out.push(`${label('')}(${notes.join('; ')})`);
    }
    out.push('');
  }
  const shown = answer.dead_letters.length;
  out.push(
    shown < answer.total
      ? `${COUNT.format(answer.total)} dead letters in the window; the newest ${COUNT.format(shown)} shown (--limit up to ${MAX_LIMIT}, or a narrower --from/--to, for others).`
      : `${COUNT.format(answer.total)} dead letter${answer.total === 1 ? '' : 's'} in the window.`,
  );
  return `${out.join('\n')}\n`;
}

if (isMainModule(import.meta.url)) {
  const dataDir = resolve(process.cwd(), process.env.EVALFORGE_DATA_DIR || DEAD_LETTERS_DEFAULTS.dataDir);
  const code = await runDeadLettersCommand(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    ...(process.stdout.isTTY ? { columns: process.stdout.columns } : {}),
    // Loaded only for a redrive: listing needs no engine.
    redrive: async (options, onProgress) => {
      // The lock file pins the SDK (the local S3 API's client), so its notice about future Node versions is noise here.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const { runLocalRedrive } = await import('./local-jobs.js');
      return runLocalRedrive(dataDir, options, onProgress);
    },
  });
  process.exit(code);
}
