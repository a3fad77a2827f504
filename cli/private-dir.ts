import { chmod, mkdir, stat } from 'node:fs/promises';

/** Mode of a directory only its owner may enter, read or write. */
const PRIVATE_DIR_MODE = 0o700;

/**
 * Makes `path` (and any missing parent) a directory only its owner can use: it holds API keys (the
 * dev key file, the key store) and every event. A directory that already exists and lets its
 * group or others in is tightened to 0700.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  // mkdir leaves an existing directory's mode as it is.
  const { mode } = await stat(path);
  if ((mode & 0o077) === 0) return;
  try {
    await chmod(path, PRIVATE_DIR_MODE);
  } catch (error) {
    throw new Error(
      `the data directory ${path} can be read by other users (mode ${(mode & 0o777).toString(8)}) and cannot be made private (chmod 700): ${(error as Error).message}`,
      { cause: error },
    );
  }
}
