import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  API_KEY_PATTERN,
  type ApiKeyRecord,
  authenticate,
  hashApiKey,
  type KeyAdmin,
} from '../../functions/shared/auth/api-keys.js';
import { FileKeyStore } from '../../functions/shared/auth/key-store-file.js';
import {
  DEFAULT_KEYS_FILE,
  type KeyStoreLocation,
  openKeyStore,
  runKeysCommand,
  USAGE,
} from '../../local/keys-cli.js';

const NOW = new Date('2025-01-02T03:04:05.678Z');

let cwd: string;
let keysFile: string;

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'evalforge-keys-cli-'));
  keysFile = join(cwd, DEFAULT_KEYS_FILE);
});

afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

interface RunOptions {
  readonly env?: Record<string, string>;
  readonly now?: Date;
  readonly openStore?: (location: KeyStoreLocation) => KeyAdmin;
}

async function run(argv: readonly string[], options: RunOptions = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runKeysCommand(argv, {
    openStore: options.openStore ?? openKeyStore,
    now: () => options.now ?? NOW,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
    cwd,
  });
  return { code, stdout, stderr };
}

/** Runs `create` and returns the printed key. */
async function createKey(projectId: string): Promise<{ key: string; keyId: string }> {
  const { code, stdout } = await run(['create', '--project', projectId]);
  expect(code).toBe(0);
  const key = /efk_\S+/.exec(stdout)?.[0] ?? '';
  const keyId = API_KEY_PATTERN.exec(key)?.[1];
  if (keyId === undefined) throw new Error(`create printed no key: ${stdout}`);
  return { key, keyId };
}

describe('keys create', () => {
  it('prints the key once, with its id and project, and stores only its hash', async () => {
    const { code, stdout, stderr } = await run(['create', '--project', 'demo-project']);

    expect(code).toBe(0);
    expect(stderr).toBe('');
    const key = /efk_\S+/.exec(stdout)?.[0] ?? '';
    expect(key).toMatch(API_KEY_PATTERN);
    expect(stdout.split(key)).toHaveLength(2);
    const keyId = key.slice(4, 20);
    expect(stdout).toContain(`key id:  ${keyId}`);
    expect(stdout).toContain('project: demo-project');
    expect(stdout).toContain(keysFile);

    const text = await readFile(keysFile, 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(21));
    expect(JSON.parse(text).keys).toEqual([
      { keyId, projectId: 'demo-project', keyHash: hashApiKey(key), createdAt: NOW.toISOString() },
    ]);
  });

  it('creates a key the local server accepts', async () => {
    const { key, keyId } = await createKey('demo-project');

    expect(await authenticate(new FileKeyStore(keysFile), `Bearer ${key}`)).toEqual({
      ok: true,
      projectId: 'demo-project',
      keyId,
    });
  });

  it.each(['bad id', '-leading-dash', '.leading-dot', '', 'a'.repeat(65), 'slash/not/allowed'])(
    'rejects the invalid project id %j with a clear error and exit code 2',
    async (projectId) => {
      // The --project=value form lets a value start with a dash.
      const { code, stdout, stderr } = await run(['create', `--project=${projectId}`]);

      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(`error: --project "${projectId}" is not a valid project id`);
      expect(stderr).toContain('letters, digits');
    },
  );
});

describe('keys revoke', () => {
  it('revokes a key by its id', async () => {
    const { key, keyId } = await createKey('demo');
    const later = new Date('2025-02-03T04:05:06.789Z');

    const { code, stdout } = await run(['revoke', '--key-id', keyId], { now: later });

    expect(code).toBe(0);
    expect(stdout).toBe(`Revoked API key ${keyId} (project demo) at ${later.toISOString()}.\n`);
    expect(await authenticate(new FileKeyStore(keysFile), `Bearer ${key}`)).toEqual({
      ok: false,
      reason: `API key ${keyId} was revoked at ${later.toISOString()}`,
    });
  });

  it('revokes a key given the whole key', async () => {
    const { key, keyId } = await createKey('demo');

    const { code } = await run(['revoke', '--key', key]);

    expect(code).toBe(0);
    expect((await new FileKeyStore(keysFile).findByKeyId(keyId))?.revokedAt).toBe(NOW.toISOString());
  });

  it('says when a key was already revoked, keeping the first time', async () => {
    const { keyId } = await createKey('demo');
    await run(['revoke', '--key-id', keyId]);

    const { code, stdout } = await run(['revoke', '--key-id', keyId], {
      now: new Date('2030-01-01T00:00:00Z'),
    });

    expect(code).toBe(0);
    expect(stdout).toContain(`was already revoked at ${NOW.toISOString()}`);
  });

  it('fails for a key id that does not exist', async () => {
    const { code, stderr } = await run(['revoke', '--key-id', '0123456789abcdef']);

    expect(code).toBe(1);
    expect(stderr).toBe(`error: no API key 0123456789abcdef in key file ${keysFile}\n`);
  });

  it('fails for a whole key whose secret does not match, revoking nothing', async () => {
    const { key, keyId } = await createKey('demo');
    const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;

    const { code, stderr } = await run(['revoke', '--key', wrong]);

    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^error: the key given is not API key ${keyId} .*nothing revoked\\n$`));
    expect((await new FileKeyStore(keysFile).findByKeyId(keyId))?.revokedAt).toBeUndefined();
  });
});

describe('keys list', () => {
  it('prints id, project, home region, created and revoked of every key, oldest first, never a hash', async () => {
    const first = await createKey('alpha');
    const { code: created } = await run(['create', '--project', 'beta', '--home-region', 'eu-west-1'], {
      now: new Date('2025-01-03T00:00:00Z'),
    });
    expect(created).toBe(0);
    await run(['revoke', '--key-id', first.keyId], { now: new Date('2025-01-04T00:00:00Z') });

    const { code, stdout } = await run(['list']);

    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]?.split(/\s+/)).toEqual(['KEY', 'ID', 'PROJECT', 'HOME', 'CREATED', 'REVOKED']);
    expect(lines[1]?.split(/\s+/)).toEqual([
      first.keyId,
      'alpha',
      '-',
      NOW.toISOString(),
      '2025-01-04T00:00:00.000Z',
    ]);
    expect(lines[2]?.split(/\s+/)).toEqual([
      expect.stringMatching(/^[0-9a-f]{16}$/),
      'beta',
      'eu-west-1',
      '2025-01-03T00:00:00.000Z',
      '-',
    ]);
    const records: ApiKeyRecord[] = JSON.parse(await readFile(keysFile, 'utf8')).keys;
    for (const record of records) expect(stdout).not.toContain(record.keyHash);
    expect(records.find((r) => r.projectId === 'beta')?.homeRegion).toBe('eu-west-1');
  });

  it('rejects a home region that is not a region name', async () => {
    const { code, stderr } = await run(['create', '--project', 'beta', '--home-region', 'europe']);
    expect(code).toBe(2);
    expect(stderr).toContain('--home-region "europe" is not an AWS region name');
  });

  it('filters by project', async () => {
    await createKey('alpha');
    const beta = await createKey('beta');

    const { stdout } = await run(['list', '--project', 'beta']);

    expect(stdout.trimEnd().split('\n').slice(1)).toEqual([expect.stringContaining(beta.keyId)]);
    expect(stdout).not.toContain('alpha');
  });

  it('says so when there are no keys', async () => {
    const { code, stdout } = await run(['list']);

    expect(code).toBe(0);
    expect(stdout).toBe(`No API keys in key file ${keysFile}.\n`);
  });

  it('fails with one line naming the file when the key file is corrupt', async () => {
    await createKey('demo');
    await writeFile(keysFile, '{ not json');

    const { code, stderr } = await run(['list']);

    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^error: API key file ${keysFile} is corrupt: [^\\n]*\\n$`));
  });
});

describe('bad arguments', () => {
  it.each([
    ['no command', []],
    ['an unknown command', ['rotate']],
    ['an unknown option', ['list', '--verbose']],
    ['create without --project', ['create']],
    ['--project without a value', ['create', '--project']],
    ['an extra argument', ['list', 'everything']],
    ['an option of another command', ['list', '--key-id', '0123456789abcdef']],
    ['revoke without a key', ['revoke']],
    ['revoke with both --key-id and --key', ['revoke', '--key-id', '0123456789abcdef', '--key', 'efk_x']],
    ['revoke with a key id that is not 16 hex', ['revoke', '--key-id', 'ABC']],
    ['revoke with a malformed key', ['revoke', '--key', 'sk-not-ours']],
    ['both --file and --table', ['list', '--file', 'k.json', '--table', 'keys']],
    ['an empty --table', ['list', '--table', '']],
  ])('rejects %s with exit code 2 and the usage', async (_name, argv) => {
    const { code, stdout, stderr } = await run(argv, {
      openStore: () => {
        throw new Error('must not open a store');
      },
    });

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: .+\n\nUsage: npm run keys -- <command>/);
  });

  it('rejects both store env vars at once', async () => {
    const { code, stderr } = await run(['list'], {
      env: { EVALFORGE_KEYS_FILE: 'k.json', EVALFORGE_KEYS_TABLE: 'keys' },
    });

    expect(code).toBe(2);
    expect(stderr).toContain('EVALFORGE_KEYS_FILE and EVALFORGE_KEYS_TABLE are both set');
  });

  it('prints the usage to stdout on --help', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, stdout: USAGE, stderr: '' });
  });
});

describe('key store selection', () => {
  it.each<[string, string[], Record<string, string>, (cwd: string) => KeyStoreLocation]>([
    ['the default file', [], {}, (dir) => ({ kind: 'file', path: join(dir, '.evalforge', 'keys.json') })],
    [
      '--file, relative to the cwd',
      ['--file', 'a/k.json'],
      {},
      (dir) => ({ kind: 'file', path: join(dir, 'a/k.json') }),
    ],
    ['--file, absolute', ['--file', '/etc/k.json'], {}, () => ({ kind: 'file', path: '/etc/k.json' })],
    [
      'EVALFORGE_KEYS_FILE',
      [],
      { EVALFORGE_KEYS_FILE: 'e.json' },
      (dir) => ({ kind: 'file', path: join(dir, 'e.json') }),
    ],
    ['--table', ['--table', 'keys'], {}, () => ({ kind: 'dynamodb', tableName: 'keys' })],
    [
      'EVALFORGE_KEYS_TABLE',
      [],
      { EVALFORGE_KEYS_TABLE: 'env-keys' },
      () => ({ kind: 'dynamodb', tableName: 'env-keys' }),
    ],
    [
      '--file over EVALFORGE_KEYS_TABLE',
      ['--file', 'k.json'],
      { EVALFORGE_KEYS_TABLE: 't' },
      (dir) => ({ kind: 'file', path: join(dir, 'k.json') }),
    ],
    [
      '--table over EVALFORGE_KEYS_FILE',
      ['--table', 't'],
      { EVALFORGE_KEYS_FILE: 'k.json' },
      () => ({ kind: 'dynamodb', tableName: 't' }),
    ],
    [
      'the default when env vars are empty',
      [],
      { EVALFORGE_KEYS_FILE: '', EVALFORGE_KEYS_TABLE: '' },
      (dir) => ({ kind: 'file', path: join(dir, DEFAULT_KEYS_FILE) }),
    ],
  ])('uses %s', async (_name, storeArgs, env, expected) => {
    const opened: KeyStoreLocation[] = [];
    const empty: KeyAdmin = {
      findByKeyId: async () => undefined,
      put: async () => {},
      revoke: async () => undefined,
      list: async () => [],
    };

    const { code } = await run(['list', ...storeArgs], {
      env,
      openStore: (location) => {
        opened.push(location);
        return empty;
      },
    });

    expect(code).toBe(0);
    expect(opened).toEqual([expected(cwd)]);
  });

  it('stores a created key through the chosen store', async () => {
    const puts: ApiKeyRecord[] = [];
    const store: KeyAdmin = {
      findByKeyId: async () => undefined,
      put: async (record) => {
        puts.push(record);
      },
      revoke: async () => undefined,
      list: async () => [],
    };

    const { code, stdout } = await run(['create', '--project', 'p', '--table', 'keys'], {
      openStore: () => store,
    });

    expect(code).toBe(0);
    expect(stdout).toContain('Created an API key in DynamoDB table keys.');
    expect(puts).toEqual([expect.objectContaining({ projectId: 'p', createdAt: NOW.toISOString() })]);
  });
});
