import { gzipSync } from 'node:zlib';
import { type ApiKeyRecord, type KeyStore, newApiKey } from '../../functions/shared/auth/api-keys.js';
import { decodeStreamRecord } from '../../functions/shared/contract/stream-record.js';
import type { HttpRequest } from '../../functions/shared/http.js';
import {
  DEFAULT_VALIDATOR_LIMITS,
  handleRequest,
  type ValidatorDeps,
} from '../../functions/validator/core.js';
import type { PutOutcome, PutRecords, StreamRecord } from '../../functions/validator/stream-writer.js';

/** The validator core with an in-memory key store and stream, for tests at the core level. */
export const NOW = Date.parse('2026-06-15T12:00:00.000Z');

export class MemoryKeyStore implements KeyStore {
  readonly records = new Map<string, ApiKeyRecord>();
  add(record: ApiKeyRecord): void {
    this.records.set(record.keyId, record);
  }
  async findByKeyId(keyId: string): Promise<ApiKeyRecord | undefined> {
    return this.records.get(keyId);
  }
}

export interface Harness {
  readonly deps: ValidatorDeps;
  readonly keys: MemoryKeyStore;
  /** A key of project "proj-a". */
  readonly key: string;
  /** A key of project "proj-b". */
  readonly otherKey: string;
  readonly revokedKey: string;
  /** Every record the stream took. */
  readonly written: StreamRecord[];
  /** The events on the stream, decoded from the records, as the client sent them. */
  streamedEvents(): Record<string, unknown>[];
  post(body: Buffer | string, headers?: Record<string, string | undefined>): ReturnType<typeof handleRequest>;
  send(request: Partial<HttpRequest>): ReturnType<typeof handleRequest>;
}

export function harness(options: { put?: PutRecords; deps?: Partial<ValidatorDeps> } = {}): Harness {
  const keys = new MemoryKeyStore();
  const created = new Date(NOW - 86_400_000);
  const a = newApiKey('proj-a', created);
  const b = newApiKey('proj-b', created);
  const revoked = newApiKey('proj-a', created);
  keys.add(a.record);
  keys.add(b.record);
  keys.add({ ...revoked.record, revokedAt: new Date(NOW - 3_600_000).toISOString() });

  const written: StreamRecord[] = [];
  const healthy: PutRecords = async (records) => {
    written.push(...records);
    return records.map((): PutOutcome => ({ ok: true }));
  };
  let id = 0;
  const deps: ValidatorDeps = {
    keys,
    putRecords: options.put
      ? async (records) => {
          const outcomes = await (options.put as PutRecords)(records);
          records.forEach((r, i) => {
            if (outcomes[i]?.ok) written.push(r);
          });
          return outcomes;
        }
      : healthy,
    now: () => NOW,
    newId: () => `id-${++id}`,
    sleep: async () => {},
    random: () => 0.5,
    limits: DEFAULT_VALIDATOR_LIMITS,
    ...options.deps,
  };
  const send = (request: Partial<HttpRequest>) =>
    handleRequest(
      { method: 'POST', path: '/v1/events', headers: {}, body: Buffer.alloc(0), ...request },
      deps,
    );
  return {
    deps,
    keys,
    key: a.key,
    otherKey: b.key,
    revokedKey: revoked.key,
    written,
    streamedEvents: () =>
      written.flatMap((r) =>
        decodeStreamRecord(r.data).lines.map((l) => JSON.parse(l) as Record<string, unknown>),
      ),
    post: (body, headers = {}) =>
      send({
        body: Buffer.isBuffer(body) ? body : Buffer.from(body),
        headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json', ...headers },
      }),
    send,
  };
}

export const ndjson = (events: readonly unknown[]): string => events.map((e) => JSON.stringify(e)).join('\n');
export const gzip = (text: string | Buffer): Buffer => gzipSync(text);
export const jsonBody = (events: readonly unknown[]): string => JSON.stringify({ events });
