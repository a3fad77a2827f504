import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { PROJECT_ID_PATTERN } from '../contract/event.js';

/**
 * API keys. A key reads `efk_<key id>_<secret>`: the key id (16 hex) is public and names the
 * key in logs and in the key store; the secret (43 base64url characters, 256 bits) is never
 * stored, only the SHA-256 of the whole key. A high-entropy key needs no slow hash: nobody can
 * guess one from its digest.
 */
export const API_KEY_PATTERN = /^efk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const isoTimestamp = z.iso.datetime({ offset: true });

/** An AWS region's name, as a project's home region is recorded: `us-east-1`, `ap-southeast-1`. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** What the key store keeps for one key; every store checks what it reads back against this. */
export const ApiKeyRecordSchema = z.strictObject({
  keyId: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex characters'),
  projectId: z.string().regex(PROJECT_ID_PATTERN, 'is not a valid project id'),
  /** SHA-256 of the whole key, lowercase hex. */
  keyHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256'),
  /** ISO-8601. */
  createdAt: isoTimestamp,
  /** ISO-8601; set once the key is revoked. */
  revokedAt: isoTimestamp.optional(),
  /**
   * The region whose store keeps the project's events, in a deployment across regions: events
   * accepted elsewhere are forwarded there, and its queries are answered there. Unset: the region
   * that accepts them (every single-region deployment).
   */
  homeRegion: z.string().regex(REGION_PATTERN, 'must be an AWS region name like eu-west-1').optional(),
});

export type ApiKeyRecord = Readonly<z.infer<typeof ApiKeyRecordSchema>>;

/** The port the validator authenticates through. */
export interface KeyStore {
  /** The record for a key id, revoked or not; `undefined` when there is none. */
  findByKeyId(keyId: string): Promise<ApiKeyRecord | undefined>;
}

/** The port the key command manages keys through. */
export interface KeyAdmin extends KeyStore {
  put(record: ApiKeyRecord): Promise<void>;
  /** Marks the key revoked; returns the updated record, or `undefined` when there is no such key. */
  revoke(keyId: string, revokedAt: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new key and the record to store for it; the key itself is shown once and never stored. */
export function newApiKey(
  projectId: string,
  now: Date,
  homeRegion?: string,
): { key: string; record: ApiKeyRecord } {
  const keyId = randomBytes(8).toString('hex');
  const key = `efk_${keyId}_${randomBytes(32).toString('base64url')}`;
  return {
    key,
    record: {
      keyId,
      projectId,
      keyHash: hashApiKey(key),
      createdAt: now.toISOString(),
      ...(homeRegion === undefined ? {} : { homeRegion }),
    },
  };
}

export type AuthResult =
  | { ok: true; projectId: string; keyId: string; homeRegion?: string }
  | { ok: false; reason: string };

/** Checks an `Authorization` header value against the store. */
export async function authenticate(store: KeyStore, authorization: string | undefined): Promise<AuthResult> {
  if (!authorization) {
    return { ok: false, reason: 'missing Authorization header; send "Authorization: Bearer <api key>"' };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) {
    return { ok: false, reason: 'Authorization header must be "Bearer <api key>"' };
  }
  const key = match[1];
  const parts = API_KEY_PATTERN.exec(key);
  if (!parts?.[1]) {
    return {
      ok: false,
      reason: 'API key is malformed: EvalForge keys look like efk_<16 hex>_<43 characters>',
    };
  }
  const record = await store.findByKeyId(parts[1]);
  // Compare digests in constant time, so response timing says nothing about the stored hash.
  const presented = Buffer.from(hashApiKey(key), 'hex');
  const stored = Buffer.from(record?.keyHash ?? '', 'hex');
  const matches = stored.length === presented.length && timingSafeEqual(stored, presented);
  if (!record || !matches) return { ok: false, reason: 'API key is not known' };
  if (record.revokedAt)
    return { ok: false, reason: `API key ${record.keyId} was revoked at ${record.revokedAt}` };
  return {
    ok: true,
    projectId: record.projectId,
    keyId: record.keyId,
    ...(record.homeRegion === undefined ? {} : { homeRegion: record.homeRegion }),
  };
}

export interface CachedKeyStoreOptions {
  /** How long a found key is trusted before it is read again; bounds how late a revocation bites. */
  readonly positiveTtlMs: number;
  /** How long an unknown key id is remembered, so a flood of bad keys does not reach the store. */
  readonly negativeTtlMs: number;
  readonly maxEntries: number;
  readonly now: () => number;
}

/** A key store in front of another, for a Lambda's lifetime: most requests never reach DynamoDB. */
export class CachedKeyStore implements KeyStore {
  private readonly entries = new Map<string, { record: ApiKeyRecord | undefined; expiresAt: number }>();

  constructor(
    private readonly inner: KeyStore,
    private readonly options: CachedKeyStoreOptions,
  ) {}

  async findByKeyId(keyId: string): Promise<ApiKeyRecord | undefined> {
    const now = this.options.now();
    const hit = this.entries.get(keyId);
    if (hit && hit.expiresAt > now) return hit.record;
    const record = await this.inner.findByKeyId(keyId);
    if (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const ttl = record ? this.options.positiveTtlMs : this.options.negativeTtlMs;
    this.entries.delete(keyId);
    this.entries.set(keyId, { record, expiresAt: now + ttl });
    return record;
  }
}
