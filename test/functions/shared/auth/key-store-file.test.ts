import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiKeyRecord, newApiKey } from '../../../../functions/shared/auth/api-keys.js';
import { FileKeyStore } from '../../../../functions/shared/auth/key-store-file.js';

const NOW = new Date('2025-01-02T03:04:05.678Z');
const REVOKED_AT = '2025-02-03T04:05:06.789Z';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-key-store-'));
  path = join(dir, 'nested', 'keys.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const newRecord = (projectId = 'demo'): ApiKeyRecord => newApiKey(projectId, NOW).record;

describe('FileKeyStore', () => {
  it('has no keys while the file does not exist, and does not create it', async () => {
    const store = new FileKeyStore(path);

    expect(await store.list()).toEqual([]);
    expect(await store.findByKeyId('0123456789abcdef')).toBeUndefined();
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('stores, finds, lists and revokes keys', async () => {
    const store = new FileKeyStore(path);
    const first = newRecord('p1');
    const second = newRecord('p2');

    await store.put(first);
    await store.put(second);
    expect(await store.findByKeyId(first.keyId)).toEqual(first);
    expect(await store.list()).toEqual([first, second]);

    expect(await store.revoke(first.keyId, REVOKED_AT)).toEqual({ ...first, revokedAt: REVOKED_AT });
    expect(await store.findByKeyId(first.keyId)).toEqual({ ...first, revokedAt: REVOKED_AT });
    expect(await store.findByKeyId(second.keyId)).toEqual(second);
  });

  it('keeps the first revocation time when a key is revoked twice', async () => {
    const store = new FileKeyStore(path);
    const record = newRecord();
    await store.put(record);

    await store.revoke(record.keyId, REVOKED_AT);
    const again = await store.revoke(record.keyId, '2030-01-01T00:00:00.000Z');

    expect(again?.revokedAt).toBe(REVOKED_AT);
    expect((await new FileKeyStore(path).findByKeyId(record.keyId))?.revokedAt).toBe(REVOKED_AT);
  });

  it('answers undefined when revoking a key that does not exist, writing nothing', async () => {
    const store = new FileKeyStore(path);

    expect(await store.revoke('0123456789abcdef', REVOKED_AT)).toBeUndefined();
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('rejects a key id that already exists', async () => {
    const store = new FileKeyStore(path);
    const record = newRecord();
    await store.put(record);

    await expect(store.put({ ...record, projectId: 'other' })).rejects.toThrow(
      `API key ${record.keyId} already exists in ${path}`,
    );
    expect(await store.findByKeyId(record.keyId)).toEqual(record);
  });

  it('rejects a malformed record instead of writing it', async () => {
    const store = new FileKeyStore(path);

    await expect(store.put({ ...newRecord(), keyHash: 'not-a-hash' })).rejects.toThrow(/keyHash/);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('sees keys created and revoked through another instance (another process)', async () => {
    const server = new FileKeyStore(path);
    const cli = new FileKeyStore(path);
    const record = newRecord();
    expect(await server.findByKeyId(record.keyId)).toBeUndefined();

    await cli.put(record);
    expect(await server.findByKeyId(record.keyId)).toEqual(record);

    await cli.revoke(record.keyId, REVOKED_AT);
    expect((await server.findByKeyId(record.keyId))?.revokedAt).toBe(REVOKED_AT);
  });

  it('sees a file rewritten in place by another program', async () => {
    const store = new FileKeyStore(path);
    const record = newRecord();
    await store.put(record);
    expect(await store.list()).toHaveLength(1);

    await writeFile(path, JSON.stringify({ version: 1, keys: [] }));

    expect(await store.findByKeyId(record.keyId)).toBeUndefined();
  });

  it('has no keys again once the file is deleted', async () => {
    const store = new FileKeyStore(path);
    await store.put(newRecord());

    await rm(path);

    expect(await store.list()).toEqual([]);
  });

  it.skipIf(process.platform === 'win32')(
    'writes the file with mode 0600 and leaves no temporary file',
    async () => {
      const store = new FileKeyStore(path);
      await store.put(newRecord());
      await store.put(newRecord());

      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await readdir(join(dir, 'nested'))).toEqual(['keys.json']);
    },
  );

  it('writes a versioned JSON document', async () => {
    const record = newRecord();
    await new FileKeyStore(path).put(record);

    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, keys: [record] });
  });

  it('keeps every key when one instance stores several at once', async () => {
    const store = new FileKeyStore(path);
    const records = Array.from({ length: 8 }, () => newRecord());

    await Promise.all(records.map((record) => store.put(record)));

    expect(await new FileKeyStore(path).list()).toEqual(records);
  });

  it.each([
    ['is not JSON', '{"version": 1, "keys": [', /is corrupt: not JSON/],
    ['has another version', JSON.stringify({ version: 2, keys: [] }), /is corrupt: version/],
    ['has no keys array', JSON.stringify({ version: 1 }), /is corrupt: keys/],
    [
      'holds a malformed record',
      JSON.stringify({ version: 1, keys: [{ keyId: 'x' }] }),
      /is corrupt: keys\.0\./,
    ],
  ])('fails naming the path when the file %s', async (_name, text, problem) => {
    await new FileKeyStore(path).put(newRecord());
    await writeFile(path, text);
    const store = new FileKeyStore(path);

    await expect(store.list()).rejects.toThrow(`API key file ${path} is corrupt`);
    await expect(store.findByKeyId('0123456789abcdef')).rejects.toThrow(problem);
  });

  it('fails naming the key that appears twice in the file', async () => {
    const record = newRecord();
    const flat = join(dir, 'keys.json');
    await writeFile(flat, JSON.stringify({ version: 1, keys: [record, record] }));

    await expect(new FileKeyStore(flat).list()).rejects.toThrow(`key ${record.keyId} appears twice`);
  });
});
