import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killWithParent, spawnTypeScript } from '../../cli/typescript-process.js';

const CLI = join(import.meta.dirname, '../../clickhouse/migrate-cli.ts');

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-migrate-cli-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `npm run migrate` with `args`; its exit code and what it wrote to stderr. */
async function migrateCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawnTypeScript(CLI, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  killWithParent(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

describe('npm run migrate', () => {
  it("refuses npm start's engine, whose cold volume only npm start serves, and says what to run", async () => {
    await writeFile(join(dir, 'clickhouse-storage.xml'), '<clickhouse/>');
    const { code, stderr } = await migrateCli(['--path', join(dir, 'clickhouse')]);
    expect(code).toBe(2);
    expect(stderr).toContain("is npm start's engine");
    expect(stderr).toContain('start it instead');
  });

  it.each([
    [['--cluster', 'evalforge'], '--cluster needs --url'],
    [['--path', 'x', '--url', 'http://localhost:8123'], 'give --path or --url, not both'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j with a usage error', async (args, message) => {
    const { code, stderr } = await migrateCli(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('usage: npm run migrate');
  });
});
