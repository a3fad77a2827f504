import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readWholeNumber, stringFlags } from '../cli/flags.js';
import { DEV_KEY_FILE } from './dev-key.js';

/**
 * Which EvalForge API a local command talks to, and with which key: `--url`, else
 * EVALFORGE_URL, else `http://127.0.0.1:$PORT`, else where `npm start` listens; `--api-key`, else
 * EVALFORGE_API_KEY, else the dev key `npm start` wrote to `$EVALFORGE_DATA_DIR/dev-api-key`.
 * One reading for every command (`npm run demo`, `npm run dead-letters`), so they agree.
 */

/** Where `npm start` listens and keeps its data (and its dev key) unless PORT and EVALFORGE_DATA_DIR say otherwise. */
export const NPM_START_DEFAULTS = { port: 8080, dataDir: '.evalforge' } as const;

/** The flags every such command takes, for `parseArgs`; `resolveApiTarget` reads them. */
export const API_TARGET_OPTIONS = stringFlags('url', 'api-key');

/** Where the API key comes from; a file is read when the command runs. */
export type KeySource =
  | { readonly kind: 'flag'; readonly key: string }
  | { readonly kind: 'env'; readonly key: string }
  /** `path` as the user would type it: relative to the working directory unless absolute. */
  | { readonly kind: 'file'; readonly path: string };

/** Where the URL came from, for messages. */
export type UrlSource = '--url' | 'EVALFORGE_URL' | 'PORT' | 'default';

export interface ApiTarget {
  /** The API's base URL, without a trailing slash. */
  readonly url: string;
  readonly urlSource: UrlSource;
  readonly key: KeySource;
}

/** Builds the command's own usage error from the flag or variable at fault and what it must be. */
export type InvalidTarget = (name: string, problem: string) => Error;

function baseUrl(name: string, text: string, invalid: InvalidTarget): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(name, `must be a URL like http://127.0.0.1:8080; got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(name, `must be an http:// or https:// URL; got ${JSON.stringify(text)}`);
  }
  return url.href.replace(/\/+$/, '');
}

/** The API and key from the flags and, for what they leave out, the environment. */
export function resolveApiTarget(
  flags: { readonly url?: string; readonly apiKey?: string },
  env: Readonly<Record<string, string | undefined>>,
  invalid: InvalidTarget,
): ApiTarget {
  let url: string;
  let urlSource: UrlSource;
  const envUrl = env.EVALFORGE_URL || undefined;
  const envPort = env.PORT || undefined;
  if (flags.url !== undefined) {
    url = baseUrl('--url', flags.url, invalid);
    urlSource = '--url';
  } else if (envUrl !== undefined) {
    url = baseUrl('EVALFORGE_URL', envUrl, invalid);
    urlSource = 'EVALFORGE_URL';
  } else if (envPort !== undefined) {
    const port = readWholeNumber(envPort, 1, 65_535);
    if (port === undefined) {
      throw invalid('PORT', `must be a port number from 1 to 65535; got ${JSON.stringify(envPort)}`);
    }
    url = `http://127.0.0.1:${port}`;
    urlSource = 'PORT';
  } else {
    url = `http://127.0.0.1:${NPM_START_DEFAULTS.port}`;
    urlSource = 'default';
  }

  let key: KeySource;
  const envKey = env.EVALFORGE_API_KEY?.trim() || undefined;
  if (flags.apiKey !== undefined) {
    const flagKey = flags.apiKey.trim();
    if (flagKey === '') throw invalid('--api-key', 'must not be empty');
    key = { kind: 'flag', key: flagKey };
  } else if (envKey !== undefined) {
    key = { kind: 'env', key: envKey };
  } else {
    key = { kind: 'file', path: join(env.EVALFORGE_DATA_DIR || NPM_START_DEFAULTS.dataDir, DEV_KEY_FILE) };
  }
  return { url, urlSource, key };
}

/**
 * The key itself: from the flag or variable, or read from its file (relative to `cwd`); when the
 * file gives none, its path and why (`does not exist`, `is empty`, `cannot be read (…)`).
 */
export async function readApiKey(
  key: KeySource,
  cwd: string = process.cwd(),
): Promise<{ ok: true; key: string } | { ok: false; path: string; cause: string }> {
  if (key.kind !== 'file') return { ok: true, key: key.key };
  try {
    const text = (await readFile(resolve(cwd, key.path), 'utf8')).trim();
    return text === '' ? { ok: false, path: key.path, cause: 'is empty' } : { ok: true, key: text };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      path: key.path,
      cause: code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`,
    };
  }
}

/**
 * Why a request to the API got no answer, as messages say it after the request: `timed out`, or
 * `failed (ECONNREFUSED)` with what failed (fetch's own message is only "fetch failed").
 */
export function fetchFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'timed out';
  const cause = error.cause as NodeJS.ErrnoException | undefined;
  return `failed (${cause?.code ?? cause?.message ?? error.message})`;
}
