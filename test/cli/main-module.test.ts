import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isMainModule } from '../../cli/main-module.js';

describe('isMainModule', () => {
  const argv = [...process.argv];
  let dir: string | undefined;
  afterEach(async () => {
    process.argv.splice(0, process.argv.length, ...argv);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is true for the script node started, through a symlink and a path that needs escaping', async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalforge main module '));
    const script = join(dir, 'cli #1.ts');
    await writeFile(script, '');
    await symlink(script, join(dir, 'linked.ts'));
    process.argv[1] = join(dir, 'linked.ts');
    expect(isMainModule(pathToFileURL(script).href)).toBe(true);
    // The string comparison it replaces fails on this path.
    expect(pathToFileURL(script).href === `file://${script}`).toBe(false);
  });

  it('is false for an imported module, a missing script, and no script at all', () => {
    expect(isMainModule(import.meta.url)).toBe(false);
    process.argv[1] = '/nowhere/cli.ts';
    expect(isMainModule(import.meta.url)).toBe(false);
    process.argv.length = 1;
    expect(isMainModule(import.meta.url)).toBe(false);
  });
});
