import { readFile, writeFile } from 'node:fs/promises';
import {
  API_KEY_PATTERN,
  authenticate,
  hashApiKey,
  type KeyAdmin,
  newApiKey,
} from '../functions/shared/auth/api-keys.js';

/** The project the development key writes to and reads from. */
export const DEV_PROJECT = 'dev';

/** The file in `npm start`'s data directory that holds the development key, for local tools to read. */
export const DEV_KEY_FILE = 'dev-api-key';

export interface DevKey {
  readonly key: string;
  readonly projectId: string;
  /** Where it came from: the environment, the key file of an earlier start, or made now. */
  readonly source: 'env' | 'file' | 'new';
  readonly file: string;
}

/**
 * The key `npm start` hands its user: `EVALFORGE_API_KEY` if set (registered for the dev project
 * if the store does not know it), else the one in `<data dir>/dev-api-key` if it still works, else
 * a new one. The key file is written (mode 0600) so tools on this machine (`npm run demo`, the
 * load generator) find it; the store keeps only its hash.
 */
export async function ensureDevKey(
  keys: KeyAdmin,
  file: string,
  fromEnv: string | undefined,
  now: Date,
): Promise<DevKey> {
  if (fromEnv !== undefined) {
    const key = fromEnv.trim();
    const parts = API_KEY_PATTERN.exec(key);
    if (!parts?.[1]) {
      throw new Error(
        'EVALFORGE_API_KEY is not an EvalForge API key: keys look like efk_<16 hex>_<43 characters>',
      );
    }
    const existing = await keys.findByKeyId(parts[1]);
    if (!existing) {
      await keys.put({
        keyId: parts[1],
        projectId: DEV_PROJECT,
        keyHash: hashApiKey(key),
        createdAt: now.toISOString(),
      });
    }
    const auth = await authenticate(keys, `Bearer ${key}`);
    if (!auth.ok) {
      throw new Error(
        `EVALFORGE_API_KEY cannot be used: ${auth.reason} (key id ${parts[1]} in the key store)`,
      );
    }
    await writeKeyFile(file, key);
    return { key, projectId: auth.projectId, source: 'env', file };
  }

  const saved = await readKeyFile(file);
  if (saved !== undefined) {
    const auth = await authenticate(keys, `Bearer ${saved}`);
    if (auth.ok) return { key: saved, projectId: auth.projectId, source: 'file', file };
  }
  const created = newApiKey(DEV_PROJECT, now);
  await keys.put(created.record);
  await writeKeyFile(file, created.key);
  return { key: created.key, projectId: DEV_PROJECT, source: 'new', file };
}

async function readKeyFile(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeKeyFile(file: string, key: string): Promise<void> {
  await writeFile(file, `${key}\n`, { mode: 0o600 });
}
