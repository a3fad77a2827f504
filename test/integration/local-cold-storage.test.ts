import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/free-port.js';
import { LOCAL_COLD_STORAGE } from '../../local/cold-storage.js';
import type { EvalForgeProcess } from '../../local/evalforge-process.js';
import { localS3Client } from '../../local/s3.js';
import { NpmStartProcesses } from '../helpers/npm-start.js';

/**
 * `npm start` with ClickHouse's cold volume on its local S3 API: `--hot-days 0` sends every part
 * there, the trace reads the same from it and after a restart; bad flags fail naming the flag.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DAY_MS = 86_400_000;
let dir: string;
let port: number;
const processes = new NpmStartProcesses();

const start = (args: readonly string[]): Promise<EvalForgeProcess> =>
  processes.start({ dataDir: join(dir, 'data'), port, args, timeoutMs: 60_000 });

/** `npm start` with `args`, expected to fail before it starts anything: its exit code and stderr. */
function refused(args: readonly string[]): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'local/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, EVALFORGE_DATA_DIR: join(dir, 'refused'), PORT: '0' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr };
}

async function coldObjects(output: string): Promise<number> {
  const endpoint = /Local S3 API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  if (!endpoint) throw new Error(`no local S3 API in the output:\n${output}`);
  const s3 = localS3Client(endpoint);
  try {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: LOCAL_COLD_STORAGE.bucket, Prefix: LOCAL_COLD_STORAGE.prefix }),
    );
    return listed.KeyCount ?? 0;
  } finally {
    s3.destroy();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-local-cold-'));
  port = await freePort();
});

afterAll(async () => {
  await processes.stopAll();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm start with a cold volume', () => {
  it.each([
    [['--hot-days=-1'], /--hot-days must be a whole number of days from 0 to 3650, got "-1"/],
    [['--warm-days', '1.5'], /--warm-days must be a whole number of days from 0 to 3650, got "1.5"/],
    [['--minute-rollup-days', '0'], /--minute-rollup-days must be a whole number of days from 1/],
    [['--bodies-days', '900'], /--bodies-days 900 must not exceed --hot-days \+ --warm-days \(400\)/],
    [['--hot-days', '3000', '--warm-days', '3000'], /--hot-days \+ --warm-days must be from 1 to 3650 days/],
    [['--cold-days', '3'], /Unknown option '--cold-days'/],
  ])('refuses %j naming the flag, with exit code 2', (args, message) => {
    const { status, stderr } = refused(args);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage: npm start');
    expect(status).toBe(2);
  });

  it('moves every part to the cold bucket with --hot-days 0, and answers the same after a restart', async () => {
    // Bodies kept 60 days, so the 40-day-old span keeps its own across both runs.
    const first = await start(['--hot-days', '0', '--bodies-days', '60']);
    expect(first.output()).toContain('applied retention: events hot 0 days, then cold');
    expect(first.output()).toContain(`bucket ${LOCAL_COLD_STORAGE.bucket} (${LOCAL_COLD_STORAGE.prefix})`);
    const key = /\n {2}(efk_\S+)\n/.exec(first.output())?.[1] ?? '';
    const trace = 'ab'.repeat(16);
    const now = Date.now();
    const events = [1, 40].map((age, i) => ({
      trace_id: trace,
      span_id: `${i + 1}`.repeat(16),
      timestamp: new Date(now - age * DAY_MS).toISOString(),
      model: 'gpt-4o-mini',
      latency_ms: 100 + i,
      input_tokens: 10,
      output_tokens: 20,
      prompt: `prompt ${age}`,
      response: `response ${age}`,
    }));
    const sent = await fetch(`${first.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    expect(await sent.json()).toEqual({ accepted: 2, rejected: 0, errors: [] });
    const readTrace = async (url: string) => {
      const response = await fetch(`${url}/v1/traces/${trace}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      return { status: response.status, body: await response.text() };
    };
    let answer = await readTrace(first.url);
    for (
      let waited = 0;
      !answer.body.includes('prompt 40') || !answer.body.includes('prompt 1"');
      waited += 100
    ) {
      if (waited > 20_000) throw new Error(`the trace was not loaded within 20 s: ${answer.body}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await readTrace(first.url);
    }
    let objects = await coldObjects(first.output());
    for (let waited = 0; objects === 0 && waited < 20_000; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      objects = await coldObjects(first.output());
    }
    expect(objects).toBeGreaterThan(0);

    first.child.kill('SIGINT');
    expect(await first.exited()).toBe(0);

    // Tier 1's hot days again: a changed retention, applied; the parts stay where they are.
    const second = await start(['--bodies-days', '60']);
    expect(second.output()).toContain('applied retention: events hot 5 days, then cold');
    expect(await readTrace(second.url)).toEqual(answer);
    expect(await coldObjects(second.output())).toBeGreaterThanOrEqual(objects);
    second.child.kill('SIGINT');
    expect(await second.exited()).toBe(0);
  }, 120_000);
});
