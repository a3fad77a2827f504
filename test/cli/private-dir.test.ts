import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePrivateDir } from '../../cli/private-dir.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'evalforge-private-dir-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('ensurePrivateDir', () => {
  it('creates a missing data directory, and its missing parents, with mode 0700', async () => {
    const dir = join(root, 'a', 'b', '.evalforge');
    const umask = process.umask(0o022);
    try {
      await ensurePrivateDir(dir);
    } finally {
      process.umask(umask);
    }
    expect(await modeOf(dir)).toBe(0o700);
  });

  it.each([0o755, 0o750, 0o705, 0o777])(
    'tightens an existing directory of mode %s to 0700 and keeps what is in it',
    async (mode) => {
      const dir = join(root, '.evalforge');
      await mkdir(dir);
      await writeFile(join(dir, 'dev-api-key'), 'efk_test\n');
      await chmod(dir, mode);

      await ensurePrivateDir(dir);

      expect(await modeOf(dir)).toBe(0o700);
      expect(await readFile(join(dir, 'dev-api-key'), 'utf8')).toBe('efk_test\n');
    },
  );

  it('leaves a directory its owner alone can use as it is', async () => {
    const dir = join(root, '.evalforge');
    await mkdir(dir);
    await chmod(dir, 0o500);

    await ensurePrivateDir(dir);

    expect(await modeOf(dir)).toBe(0o500);
    await chmod(dir, 0o700);
  });

  it('fails when the path is a file', async () => {
    const file = join(root, 'not-a-dir');
    await writeFile(file, '');
    await expect(ensurePrivateDir(file)).rejects.toThrow();
  });
});
