import { describe, expect, it, vi } from 'vitest';
import {
  type ApiKeyRecord,
  authenticate,
  CachedKeyStore,
  type CachedKeyStoreOptions,
  type KeyStore,
  newApiKey,
} from '../../../../functions/shared/auth/api-keys.js';

const CREATED = new Date('2025-01-02T03:04:05.678Z');

/** A store over a map, counting lookups so a test can tell a cache hit from a read. */
function memoryStore(records: readonly ApiKeyRecord[] = []) {
  const byId = new Map(records.map((record) => [record.keyId, record]));
  const findByKeyId = vi.fn(async (keyId: string) => byId.get(keyId));
  const store: KeyStore = { findByKeyId };
  return { store, byId, findByKeyId };
}

describe('authenticate', () => {
  const { key, record } = newApiKey('demo-project', CREATED);
  const other = newApiKey('demo-project', CREATED);
  const secretOf = (k: string) => k.slice(-43);
  const wrongSecret = `efk_${record.keyId}_${secretOf(other.key)}`;

  it.each([
    ['rejects a missing header', undefined, /^missing Authorization header/],
    ['rejects an empty header', '', /^missing Authorization header/],
    ['rejects another scheme', `Basic ${key}`, /^Authorization header must be "Bearer <api key>"$/],
    ['rejects a scheme without a key', 'Bearer', /^Authorization header must be "Bearer <api key>"$/],
    ['rejects a key with spaces in it', `Bearer ${key} extra`, /^Authorization header must be/],
    ['rejects a key without the efk_ prefix', `Bearer ${key.slice(4)}`, /^API key is malformed/],
    [
      'rejects a key id that is not hex',
      `Bearer efk_zzzzzzzzzzzzzzzz_${secretOf(key)}`,
      /^API key is malformed/,
    ],
    ['rejects a truncated secret', `Bearer ${key.slice(0, -1)}`, /^API key is malformed/],
  ])('%s', async (_name, header, reason) => {
    const { store, findByKeyId } = memoryStore([record]);

    const result = await authenticate(store, header);

    expect(result).toEqual({ ok: false, reason: expect.stringMatching(reason) });
    // A request that cannot carry a valid key never costs a store read.
    expect(findByKeyId).not.toHaveBeenCalled();
  });

  it.each([
    ['rejects an unknown key id', other.key],
    ['rejects the right key id with the wrong secret', wrongSecret],
  ])('%s as "not known"', async (_name, presented) => {
    const { store, findByKeyId } = memoryStore([record]);

    const result = await authenticate(store, `Bearer ${presented}`);

    expect(result).toEqual({ ok: false, reason: 'API key is not known' });
    expect(findByKeyId).toHaveBeenCalledTimes(1);
  });

  it('rejects a revoked key, saying when it was revoked', async () => {
    const revokedAt = '2025-02-03T04:05:06.789Z';
    const { store } = memoryStore([{ ...record, revokedAt }]);

    const result = await authenticate(store, `Bearer ${key}`);

    expect(result).toEqual({ ok: false, reason: `API key ${record.keyId} was revoked at ${revokedAt}` });
  });

  it('rejects the wrong secret of a revoked key as "not known", revealing nothing about the key', async () => {
    const { store } = memoryStore([{ ...record, revokedAt: '2025-02-03T04:05:06.789Z' }]);

    expect(await authenticate(store, `Bearer ${wrongSecret}`)).toEqual({
      ok: false,
      reason: 'API key is not known',
    });
  });

  it.each([
    ['Bearer', `Bearer ${key}`],
    ['lowercase bearer', `bearer ${key}`],
    ['extra spaces', `Bearer   ${key}  `],
  ])('accepts a valid key (%s) and names its project', async (_name, header) => {
    const { store } = memoryStore([record]);

    expect(await authenticate(store, header)).toEqual({
      ok: true,
      projectId: 'demo-project',
      keyId: record.keyId,
    });
  });
});

describe('newApiKey', () => {
  it('stores the creation time and a hash, never the key', () => {
    const { key, record } = newApiKey('p1', CREATED);

    expect(key).toMatch(/^efk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(record).toEqual({
      keyId: key.slice(4, 20),
      projectId: 'p1',
      keyHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      createdAt: CREATED.toISOString(),
    });
    expect(JSON.stringify(record)).not.toContain(key.slice(21));
  });
});

describe('CachedKeyStore', () => {
  const POSITIVE_TTL_MS = 60_000;
  const NEGATIVE_TTL_MS = 5_000;

  function cached(records: readonly ApiKeyRecord[], options: Partial<CachedKeyStoreOptions> = {}) {
    const clock = { ms: 1_000_000 };
    const inner = memoryStore(records);
    const store = new CachedKeyStore(inner.store, {
      positiveTtlMs: POSITIVE_TTL_MS,
      negativeTtlMs: NEGATIVE_TTL_MS,
      maxEntries: 100,
      now: () => clock.ms,
      ...options,
    });
    return { store, clock, byId: inner.byId, findByKeyId: inner.findByKeyId };
  }

  const { record } = newApiKey('p1', CREATED);
  const unknownId = '0123456789abcdef';

  it.each([
    ['a found key', record.keyId, POSITIVE_TTL_MS],
    ['an unknown key id', unknownId, NEGATIVE_TTL_MS],
  ])('answers %s from the cache until its TTL passes, then reads again', async (_name, keyId, ttlMs) => {
    const { store, clock, findByKeyId } = cached([record]);

    const first = await store.findByKeyId(keyId);
    clock.ms += ttlMs - 1;
    expect(await store.findByKeyId(keyId)).toEqual(first);
    expect(findByKeyId).toHaveBeenCalledTimes(1);

    clock.ms += 1;
    expect(await store.findByKeyId(keyId)).toEqual(first);
    expect(findByKeyId).toHaveBeenCalledTimes(2);
  });

  it('sees a revocation once the positive TTL has passed, not before', async () => {
    const { store, clock, byId } = cached([record]);
    await store.findByKeyId(record.keyId);
    const revokedAt = '2025-01-02T04:00:00.000Z';
    byId.set(record.keyId, { ...record, revokedAt });

    clock.ms += POSITIVE_TTL_MS - 1;
    expect((await store.findByKeyId(record.keyId))?.revokedAt).toBeUndefined();

    clock.ms += 1;
    expect((await store.findByKeyId(record.keyId))?.revokedAt).toBe(revokedAt);
  });

  it('remembers an unknown key id for the negative TTL only, so a new key is found soon', async () => {
    const { store, clock, byId, findByKeyId } = cached([]);
    expect(await store.findByKeyId(record.keyId)).toBeUndefined();
    byId.set(record.keyId, record);

    clock.ms += NEGATIVE_TTL_MS - 1;
    expect(await store.findByKeyId(record.keyId)).toBeUndefined();

    clock.ms += 1;
    expect(await store.findByKeyId(record.keyId)).toEqual(record);
    expect(findByKeyId).toHaveBeenCalledTimes(2);
  });

  it('holds at most maxEntries keys, dropping the oldest', async () => {
    const ids = ['000000000000000a', '000000000000000b', '000000000000000c'] as const;
    const { store, findByKeyId } = cached([], { maxEntries: 2 });
    for (const id of ids) await store.findByKeyId(id);
    expect(findByKeyId).toHaveBeenCalledTimes(3);

    // b and c are still cached; a was dropped to make room for c.
    await store.findByKeyId(ids[1]);
    await store.findByKeyId(ids[2]);
    expect(findByKeyId).toHaveBeenCalledTimes(3);

    await store.findByKeyId(ids[0]);
    expect(findByKeyId).toHaveBeenCalledTimes(4);
    expect(findByKeyId).toHaveBeenLastCalledWith(ids[0]);
  });
});
