import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/free-port.js';
import { createQueryHandler } from '../../functions/query/handler.js';
import type { DeadLetterRow } from '../../functions/query/queries.js';
import { type ApiKeyRecord, type KeyStore, newApiKey } from '../../functions/shared/auth/api-keys.js';
import { QUERY_ROUTE_PATTERNS } from '../../functions/shared/http.js';
import { type AlbServer, startAlbServer } from '../../local/alb-server.js';
import {
  DEAD_LETTERS_USAGE,
  type DeadLettersAnswer,
  formatDeadLetters,
  parseDeadLettersArgs,
  printable,
  runDeadLettersCommand,
} from '../../local/dead-letters-cli.js';
import { embeddedClickHouse, insertDeadLetters } from '../helpers/clickhouse.js';

/**
 * `npm run dead-letters` against a scripted HTTP server on loopback (what it asks, how it reads
 * answers and failures), and once against the real query handler behind the local load balancer.
 */

const KEY = 'efk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const LONG_LINE = `{"trace_id":"${'a'.repeat(32)}","prompt":"${'long prompt '.repeat(40)}"}`;

const LETTER: DeadLetterRow = {
  failed_at: '2026-01-31T11:59:58.123Z',
  source: 'arn:aws:kinesis:eu-west-1:111111111111:stream/evalforge-events/shardId-000000000001:4960',
  request_id: 'req-7f3a',
  engine_code: 53,
  reason: 'Code: 53. DB::Exception: Type mismatch\n: while reading row 1',
  line: LONG_LINE,
  line_bytes: Buffer.byteLength(LONG_LINE),
  line_truncated: false,
};

const ANSWER: DeadLettersAnswer = {
  project: 'dev',
  from: '2026-01-30T12:00:00.000Z',
  to: '2026-01-31T12:00:00.000Z',
  limit: 100,
  total: 1,
  dead_letters: [LETTER],
};

// ---------------------------------------------------------------------------------------------
// The scripted server

interface Seen {
  readonly path: string;
  readonly authorization: string | undefined;
}

let server: Server;
let serverUrl: string;
const seen: Seen[] = [];
let reply: (req: IncomingMessage, res: ServerResponse) => void;

const json = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-dead-letters-'));
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    reply(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen.length = 0;
  reply = json(200, ANSWER);
});

async function run(argv: string[], env: Record<string, string> = {}, options: { cwd?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runDeadLettersCommand(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd: options.cwd ?? dir,
    columns: 80,
    timeoutMs: 5_000,
  });
  return { code, stdout, stderr };
}

// ---------------------------------------------------------------------------------------------

describe('npm run dead-letters', () => {
  it("asks for the last 24 hours' 100 newest with the key and prints each letter", async () => {
    const { code, stdout, stderr } = await run(['--url', serverUrl, '--api-key', KEY]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(seen).toEqual([{ path: '/v1/dead-letters?window=24h&limit=100', authorization: `Bearer ${KEY}` }]);
    expect(stdout).toContain('2026-01-31T11:59:58.123Z  request req-7f3a  engine code 53');
    expect(stdout).toContain('  record  shardId-000000000001:4960\n');
    expect(stdout).toContain('reason  Code: 53. DB::Exception: Type mismatch : while reading row 1');
    expect(stdout).toContain(`line    ${LONG_LINE.slice(0, 60)}`);
    expect(stdout).not.toContain(LONG_LINE);
    expect(stdout).toContain(`(${LETTER.line_bytes} bytes in all; --full prints more)`);
    expect(stdout).toContain('1 dead letter in the window.');
    for (const row of stdout.split('\n').filter((r) => r.startsWith('  '))) {
      expect([...row].length).toBeLessThanOrEqual(80);
    }
  });

  it('prints the whole line with --full, and the answer itself with --json', async () => {
    const full = await run(['--url', serverUrl, '--api-key', KEY, '--full']);
    expect(full.stdout).toContain(`line    ${LONG_LINE}\n`);
    expect(full.stdout).not.toContain('bytes in all');
    const asJson = await run(['--url', serverUrl, '--api-key', KEY, '--json']);
    expect(JSON.parse(asJson.stdout)).toEqual(ANSWER);
  });

  it('passes --window, --from/--to and --limit on', async () => {
    await run(['--url', serverUrl, '--api-key', KEY, '--window', '7d', '--limit', '5']);
    await run([
      '--url',
      serverUrl,
      '--api-key',
      KEY,
      '--from',
      '2026-01-31T12:00:00.250+02:00',
      '--to',
      '2026-01-31T13:00:00Z',
    ]);
    expect(seen.map((s) => s.path)).toEqual([
      '/v1/dead-letters?window=7d&limit=5',
      '/v1/dead-letters?from=2026-01-31T12%3A00%3A00.250%2B02%3A00&to=2026-01-31T13%3A00%3A00Z&limit=100',
    ]);
  });

  it('finds the API and the key where npm start puts them, unless told otherwise', async () => {
    const cwd = await mkdtemp(join(dir, 'cwd-'));
    await mkdir(join(cwd, '.evalforge'));
    await writeFile(join(cwd, '.evalforge', 'dev-api-key'), `${KEY}\n`);
    await mkdir(join(cwd, 'other'));
    await writeFile(join(cwd, 'other', 'dev-api-key'), 'efk_other\n');
    const port = serverUrl.split(':').at(-1) ?? '';

    expect((await run([], { EVALFORGE_URL: serverUrl }, { cwd })).code).toBe(0);
    await run([], { PORT: port, EVALFORGE_DATA_DIR: 'other' }, { cwd });
    await run([], { PORT: port, EVALFORGE_API_KEY: 'efk_env' }, { cwd });
    await run(['--api-key', 'efk_flag'], { EVALFORGE_URL: serverUrl, EVALFORGE_API_KEY: 'efk_env' }, { cwd });
    expect(seen.map((s) => s.authorization)).toEqual([
      `Bearer ${KEY}`,
      'Bearer efk_other',
      'Bearer efk_env',
      'Bearer efk_flag',
    ]);
  });

  it('defaults to http://127.0.0.1:8080 and .evalforge/dev-api-key, where npm start puts them', () => {
    expect(parseDeadLettersArgs([], {}, '/home/me/evalforge')).toMatchObject({
      url: 'http://127.0.0.1:8080',
      key: { kind: 'file', path: '/home/me/evalforge/.evalforge/dev-api-key' },
    });
    expect(parseDeadLettersArgs([], { EVALFORGE_DATA_DIR: '/var/ef' }, '/home/me')).toMatchObject({
      key: { kind: 'file', path: '/var/ef/dev-api-key' },
    });
  });

  it('prints the help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toBe(DEAD_LETTERS_USAGE);
    expect(seen).toEqual([]);
  });

  it.each([
    [['--window', '2w'], '--window'],
    [['--window', '0m'], '--window'],
    [['--window', '32d'], '--window'],
    [['--window', ''], '--window'],
    [['--limit', '0'], '--limit'],
    [['--limit', '1001'], '--limit'],
    [['--limit', '1.5'], '--limit'],
    [['--limit', 'ten'], '--limit'],
    [['--from', '2026-01-31T12:00:00Z'], '--to'],
    [['--to', '2026-01-31T12:00:00Z'], '--from'],
    [['--from', 'yesterday', '--to', '2026-01-31T12:00:00Z'], '--from'],
    [['--from', '2026-01-31T12:00:00', '--to', '2026-01-31T13:00:00Z'], '--from'],
    [['--from', '2026-01-31T12:00:00Z', '--to', 'now'], '--to'],
    [['--from', '2026-01-31T13:00:00Z', '--to', '2026-01-31T12:00:00Z'], '--from'],
    [['--from', '2026-01-01T00:00:00Z', '--to', '2026-03-01T00:00:00Z'], '--to'],
    [['--window', '1h', '--from', '2026-01-31T12:00:00Z', '--to', '2026-01-31T13:00:00Z'], '--window'],
    [['--url', 'ftp://example.com'], '--url'],
    [['--url', 'not a url'], '--url'],
    [['--api-key', ' '], '--api-key'],
    [['--bogus'], '--bogus'],
    [['--limit'], '--limit'],
    [['extra'], '"extra"'],
  ])('rejects %j with exit code 2 naming %s', async (argv, named) => {
    const { code, stderr, stdout } = await run([
      ...argv,
      ...(argv.includes('--url') ? [] : ['--url', serverUrl]),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(named);
    expect(stdout).toBe('');
    expect(seen).toEqual([]);
  });

  it.each([
    [{ EVALFORGE_URL: 'localhost:8080' }, 'EVALFORGE_URL'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
  ])('rejects the environment %j with exit code 2 naming %s', async (env, named) => {
    const { code, stderr } = await run(['--api-key', KEY], env);
    expect(code).toBe(2);
    expect(stderr).toContain(`${named}: `);
  });

  it.each([
    [401, { error: { code: 'unauthorized', message: 'API key efk_0123… is revoked' } }, 1],
    [403, { error: { code: 'forbidden', message: 'this API key belongs to project "a"' } }, 1],
    [503, { error: { code: 'unavailable', message: 'the event store could not be queried' } }, 1],
    [400, { error: { code: 'invalid_query', message: 'window: must be a length' } }, 2],
  ])('reports HTTP %i with the server message', async (status, body, exitCode) => {
    reply = json(status, body);
    const { code, stderr, stdout } = await run(['--url', serverUrl, '--api-key', KEY]);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toContain(`answered ${status} ${body.error.code}: ${body.error.message}`);
  });

  it('reports a 404 as an API without the route, and a body that is not JSON by its start', async () => {
    reply = json(404, { error: { code: 'not_found', message: 'no such endpoint' } });
    const missing = await run(['--url', serverUrl, '--api-key', KEY]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('answered 404 not_found: no such endpoint');
    expect(missing.stderr).toContain('has no GET /v1/dead-letters');

    reply = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>\n<body>502 Bad Gateway</body></html>');
    };
    const proxy = await run(['--url', serverUrl, '--api-key', KEY]);
    expect(proxy.code).toBe(1);
    expect(proxy.stderr).toContain('answered 502 <html> <body>502 Bad Gateway</body></html>');

    reply = (_req, res) => res.end('{"not":"the list"}');
    const wrong = await run(['--url', serverUrl, '--api-key', KEY]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('not the dead-letter list');
  });

  it('says where it looked when nothing answers, or when there is no key file', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const down = await run(['--url', url, '--api-key', KEY]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`no EvalForge API answers at ${url} (from --url)`);
    expect(down.stderr).toContain('ECONNREFUSED');

    const noKey = await run(['--url', serverUrl], { EVALFORGE_DATA_DIR: 'nowhere' });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain(`${join(dir, 'nowhere', 'dev-api-key')} does not exist`);
    expect(seen).toEqual([]);
  });
});

describe('formatDeadLetters', () => {
  it('escapes control characters and text-reordering ones: a client line must not drive the terminal', () => {
    expect(printable('a\u001b[31mred\u0007\t\u202eb')).toBe('a\\u001b[31mred\\u0007\\t\\u202eb');
    const text = formatDeadLetters(
      { ...ANSWER, dead_letters: [{ ...LETTER, line: '{"x":"\u001b[2J"}', line_bytes: 13 }] },
      { full: true, columns: 80 },
    );
    expect(text).not.toContain('\u001b');
    expect(text).toContain('{"x":"\\u001b[2J"}');
  });

  it('says when the API sent only the start of a line, and when more letters are in the window', () => {
    const text = formatDeadLetters(
      {
        ...ANSWER,
        total: 250,
        dead_letters: [{ ...LETTER, line: 'x'.repeat(100), line_bytes: 40_000, line_truncated: true }],
      },
      { full: true, columns: 80 },
    );
    expect(text).toContain('(40,000 bytes in all; the API sends the first 100)');
    expect(text).toContain('250 dead letters in the window; the newest 1 shown');
  });

  it('wraps a long reason at spaces, up to four rows unless --full', () => {
    const reason = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const rows = (full: boolean) =>
      formatDeadLetters({ ...ANSWER, dead_letters: [{ ...LETTER, reason }] }, { full, columns: 50 })
        .split('\n')
        .filter((row) => row.startsWith('  reason') || /^ {10}word/.test(row));
    const cut = rows(false);
    expect(cut).toHaveLength(4);
    expect(cut[0]).toBe('  reason  word0 word1 word2 word3 word4 word5');
    expect(cut.at(-1)?.endsWith('…')).toBe(true);
    for (const row of cut) expect([...row].length).toBeLessThanOrEqual(50);
    const whole = rows(true);
    expect(whole.length).toBeGreaterThan(4);
    expect(whole.map((row) => row.slice(10)).join(' ')).toBe(reason);
  });

  it('says so when the window has none', () => {
    expect(formatDeadLetters({ ...ANSWER, total: 0, dead_letters: [] }, { full: false, columns: 80 })).toBe(
      'No dead letters in project dev from 2026-01-30T12:00:00.000Z to 2026-01-31T12:00:00.000Z.\n',
    );
  });
});

describe('npm run dead-letters against the query handler', () => {
  let engine: Awaited<ReturnType<typeof embeddedClickHouse>>;
  let alb: AlbServer;
  const key = newApiKey('dev', new Date());
  const other = newApiKey('other', new Date());
  const records = new Map<string, ApiKeyRecord>([
    [key.record.keyId, key.record],
    [other.record.keyId, other.record],
  ]);
  const keys: KeyStore = { findByKeyId: async (keyId) => records.get(keyId) };
  const now = Date.now();

  beforeAll(async () => {
    engine = await embeddedClickHouse();
    await insertDeadLetters(engine.client, [
      {
        failed_at: new Date(now - 60_000).toISOString(),
        project_id: 'dev',
        request_id: 'req-dev-1',
        reason: 'Code: 53. DB::Exception: Type mismatch',
        engine_code: 53,
        line: '{"latency_ms":"fast"}',
      },
      {
        failed_at: new Date(now - 120_000).toISOString(),
        project_id: 'other',
        request_id: 'req-other',
        line: '{"other":true}',
      },
      {
        failed_at: new Date(now - 30_000).toISOString(),
        project_id: '',
        reason: 'not gzip',
        data_base64: 'AAAA',
      },
    ]);
    alb = await startAlbServer({
      maxBodyBytes: 1_000_000,
      routes: [
        {
          functionName: 'evalforge-query',
          pathPatterns: QUERY_ROUTE_PATTERNS,
          handler: createQueryHandler(() => ({ keys, clickhouse: engine.client, now: Date.now })),
        },
      ],
      defaultRoute: {
        functionName: 'evalforge-ingest-validator',
        handler: async () => ({ statusCode: 404, body: '' }),
      },
    });
  });

  afterAll(async () => {
    await alb?.close();
    await engine?.close();
  });

  it("lists the key's project's letters and no one else's", async () => {
    const { code, stdout, stderr } = await run(['--url', alb.url, '--api-key', key.key, '--window', '1h']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Dead letters of project dev');
    expect(stdout).toContain('request req-dev-1  engine code 53');
    expect(stdout).toContain('line    {"latency_ms":"fast"}');
    expect(stdout).toContain('1 dead letter in the window.');
    expect(stdout).not.toContain('req-other');
    expect(stdout).not.toContain('not gzip');
  });

  it('reports a key the API does not know', async () => {
    const { code, stderr } = await run(['--url', alb.url, '--api-key', newApiKey('dev', new Date()).key]);
    expect(code).toBe(1);
    expect(stderr).toContain('answered 401 unauthorized: ');
  });
});
