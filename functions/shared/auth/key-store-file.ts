import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { describeZodIssues } from '../zod-issues.js';
import { type ApiKeyRecord, ApiKeyRecordSchema, type KeyAdmin } from './api-keys.js';

/** The current layout of the key file. */
export const KEY_FILE_VERSION = 1;

const fileSchema = z.object({
  version: z.literal(KEY_FILE_VERSION),
  keys: z.array(ApiKeyRecordSchema),
});

/** What the file was when it was last read: a change of any of these means read it again. */
interface Snapshot {
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly keys: ReadonlyMap<string, ApiKeyRecord>;
}

/**
 * API keys in a local JSON file, `{ "version": 1, "keys": [ApiKeyRecord, …] }`, for `npm start`
 * and `npm run keys`. Every lookup stats the file and reads it again when it changed, so a key
 * created or revoked by the key command in another process counts on the running server's next
 * request. Writes replace the file atomically (temporary file, then rename), mode 0600.
 * Writes from one instance are serialised; two processes writing at the same instant can lose
 * one of the writes, which is acceptable for a developer's machine.
 */
export class FileKeyStore implements KeyAdmin {
  private snapshot: Snapshot | undefined;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  async findByKeyId(keyId: string): Promise<ApiKeyRecord | undefined> {
    return (await this.read()).get(keyId);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return [...(await this.read()).values()];
  }

  put(record: ApiKeyRecord): Promise<void> {
    return this.update((keys) => {
      if (keys.has(record.keyId)) throw new Error(`API key ${record.keyId} already exists in ${this.path}`);
      const checked = ApiKeyRecordSchema.safeParse(record);
      if (!checked.success) {
        throw new Error(`API key ${record.keyId} is not a valid record: ${describeZodIssues(checked.error)}`);
      }
      keys.set(record.keyId, checked.data);
      return { value: undefined, changed: true };
    });
  }

  revoke(keyId: string, revokedAt: string): Promise<ApiKeyRecord | undefined> {
    return this.update((keys) => {
      const record = keys.get(keyId);
      // Revoking twice keeps the first time: that is when the key stopped being trusted.
      if (!record || record.revokedAt) return { value: record, changed: false };
      const revoked = { ...record, revokedAt };
      keys.set(keyId, revoked);
      return { value: revoked, changed: true };
    });
  }

  /** Reads the file, changes the keys, writes them back; one change at a time per instance. */
  private update<T>(
    change: (keys: Map<string, ApiKeyRecord>) => { readonly value: T; readonly changed: boolean },
  ): Promise<T> {
    const run = async (): Promise<T> => {
      const keys = new Map(await this.read());
      const { value, changed } = change(keys);
      if (changed) await this.write([...keys.values()]);
      return value;
    };
    const next = this.writes.then(run, run);
    this.writes = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<ReadonlyMap<string, ApiKeyRecord>> {
    let stats: Awaited<ReturnType<typeof statFile>>;
    try {
      stats = await statFile(this.path);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) {
        this.snapshot = undefined;
        return new Map();
      }
      throw new Error(`cannot read the API key file ${this.path}: ${errorMessage(error)}`, { cause: error });
    }
    const cached = this.snapshot;
    if (
      cached &&
      cached.ino === stats.ino &&
      cached.size === stats.size &&
      cached.mtimeNs === stats.mtimeNs
    ) {
      return cached.keys;
    }
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      // Replaced between stat and read: the next lookup reads the new file.
      if (isErrno(error, 'ENOENT')) return new Map();
      throw new Error(`cannot read the API key file ${this.path}: ${errorMessage(error)}`, { cause: error });
    }
    const keys = this.parse(text);
    this.snapshot = { ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs, keys };
    return keys;
  }

  private parse(text: string): ReadonlyMap<string, ApiKeyRecord> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`API key file ${this.path} is corrupt: not JSON (${errorMessage(error)})`, {
        cause: error,
      });
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      throw new Error(
        `API key file ${this.path} is corrupt: ${describeZodIssues(parsed.error, { emptyPathLabel: 'file' })}`,
      );
    }
    const keys = new Map<string, ApiKeyRecord>();
    for (const record of parsed.data.keys) {
      if (keys.has(record.keyId)) {
        throw new Error(`API key file ${this.path} is corrupt: key ${record.keyId} appears twice`);
      }
      keys.set(record.keyId, record);
    }
    return keys;
  }

  private async write(keys: readonly ApiKeyRecord[]): Promise<void> {
    const directory = dirname(this.path);
    await mkdir(directory, { recursive: true, mode: 0o700 });
    // Same directory as the target, so the rename is atomic: readers see the old file or the new.
    const temporary = join(
      directory,
      `.${basename(this.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
    );
    const text = `${JSON.stringify({ version: KEY_FILE_VERSION, keys }, null, 2)}\n`;
    try {
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new Error(`cannot write the API key file ${this.path}: ${errorMessage(error)}`, { cause: error });
    }
  }
}

async function statFile(path: string): Promise<{ ino: bigint; size: bigint; mtimeNs: bigint }> {
  const stats = await stat(path, { bigint: true });
  return { ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs };
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
