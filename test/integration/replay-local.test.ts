import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/free-port.js';
import { spawnTypeScript } from '../../cli/typescript-process.js';
import { checkpointPath } from '../../local/replay-cli.js';
import { NpmStartProcesses } from '../helpers/npm-start.js';

/**
 * Recovery as a user runs it: npm start takes events and archives them; its ClickHouse data is
 * deleted (a lost node); `npm run replay` rebuilds it from the archive on the stopped data
 * directory, again without duplicating, stopped halfway and resumed, and through a running npm
 * start. The query API's per-minute metrics after the rebuild equal those before it.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const processes = new NpmStartProcesses();
const commands = new Set<ChildProcess>();
let dir: string;
let dataDir: string;
let port: number;
let apiKey: string;

// More requests (each a stream record) than a replay batch holds (100 records), so a replay has batches to stop between.
const EVENTS_PER_REQUEST = 2;
const REQUESTS = 120;
const N = EVENTS_PER_REQUEST * REQUESTS;
// A fixed range, so that a rerun resumes the same replay: a relative --from moves with the clock.
const FROM = new Date(Date.now() - 2 * 3_600_000).toISOString();
let TO: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-replay-local-'));
  dataDir = join(dir, 'data');
  port = await freePort();
}, 30_000);

afterAll(async () => {
  for (const child of commands) if (child.exitCode === null) child.kill('SIGKILL');
  await processes.stopAll();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface CommandRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run replay -- …` in a process of its own, as a user runs it; `onStdout` sees its output as it comes. */
function replay(args: string[], onStdout?: (text: string, child: ChildProcess) => void): Promise<CommandRun> {
  const child = spawnTypeScript('local/replay-cli.ts', args, {
    cwd: ROOT,
    env: { ...process.env, EVALFORGE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  commands.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout, child);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...init.headers },
  });
  return { status: response.status, body: (await response.json()) as T };
}

interface Point {
  readonly time: string;
  readonly model: string;
  readonly requests: number;
  readonly errors: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cost_cents: number;
}

/** The per-minute series of the last two hours, without the t-digest estimates (they depend on insert order). */
async function perMinute(): Promise<Omit<Point, 'cost_cents'>[] & { cost: number[] }> {
  const { status, body } = await api<{ series: Point[] }>('/v1/metrics?window=2h');
  expect(status).toBe(200);
  const points = body.series.map(({ time, model, requests, errors, input_tokens, output_tokens }) => ({
    time,
    model,
    requests,
    errors,
    input_tokens,
    output_tokens,
  }));
  return Object.assign(points, { cost: body.series.map((p) => Math.round(p.cost_cents * 1e6)) });
}

const total = (points: readonly { requests: number }[]) => points.reduce((n, p) => n + p.requests, 0);

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stop(pipeline: Awaited<ReturnType<NpmStartProcesses['start']>>): Promise<void> {
  pipeline.child.kill('SIGINT');
  expect(await pipeline.exited()).toBe(0);
}

const clickhouseDir = () => join(dataDir, 'clickhouse');

describe('npm run replay on the local pipeline', () => {
  let truth: Awaited<ReturnType<typeof perMinute>>;

  it('takes events, archives them, and rebuilds a deleted ClickHouse from the archive with npm start stopped', async () => {
    const pipeline = await processes.start({ dataDir, port });
    apiKey = (await readFile(join(dataDir, 'dev-api-key'), 'utf8')).trim();
    const now = Date.now();
    for (let r = 0; r < REQUESTS; r++) {
      const events = Array.from({ length: EVENTS_PER_REQUEST }, (_, i) => ({
        trace_id: randomBytes(16).toString('hex'),
        span_id: randomBytes(8).toString('hex'),
        // Spread over the last few minutes, so the series has several points.
        timestamp: new Date(now - (r * EVENTS_PER_REQUEST + i) * 3_000).toISOString(),
        model: r % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
        latency_ms: 100 + i,
        input_tokens: 10 + i,
        output_tokens: 20 + r,
        cost_cents: 0.01 * (i + 1),
        status: r % 10 === 0 ? 'error' : 'ok',
        prompt: `prompt ${r}/${i}`,
        response: `response ${r}/${i}`,
      }));
      const sent = await api<{ accepted: number }>('/v1/events', {
        method: 'POST',
        body: JSON.stringify({ events }),
      });
      expect(sent.status).toBe(200);
      expect(sent.body.accepted).toBe(EVENTS_PER_REQUEST);
    }
    truth = await waitFor('the events to load', perMinute, (points) => total(points) === N);
    expect(truth.length).toBeGreaterThan(3);
    // Ctrl-C: everything acknowledged is loaded and archived before it exits.
    await stop(pipeline);
    TO = new Date(Date.now() + 60_000).toISOString();

    await rm(clickhouseDir(), { recursive: true, force: true });
    const run = await replay(['--from', FROM, '--to', TO]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('npm start is not running');
    expect(run.stdout).toMatch(/^Plan: \d+ objects?/m);
    expect(run.stdout).toContain(`Done: `);
    expect(run.stdout).toContain(`${N} events loaded, 0 already stored, 0 dead letters`);
    expect(existsSync(checkpointPath(dataDir))).toBe(false);
  }, 180_000);

  it('adds nothing when run again over the rebuilt data', async () => {
    const run = await replay(['--from', FROM, '--to', TO]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`0 events loaded, ${N} already stored`);
  }, 120_000);

  it('resumes from its checkpoint after a Ctrl-C and finishes with exactly the right counts', async () => {
    await rm(clickhouseDir(), { recursive: true, force: true });
    // 20 events a second: the first batch of 100 records (200 events) is loaded, then it waits 10 s.
    let signalled = false;
    const first = await replay(['--from', FROM, '--to', TO, '--rate', '20'], (text, child) => {
      if (!signalled && text.includes('Plan:')) {
        signalled = true;
        setTimeout(() => child.kill('SIGINT'), 1_000);
      }
    });
    expect(first.code).toBe(130);
    expect(first.stdout).toMatch(/Stopped \(Ctrl-C\) after/);
    expect(first.stdout).toContain('Run the same command again to resume');
    expect(existsSync(checkpointPath(dataDir))).toBe(true);

    const second = await replay(['--from', FROM, '--to', TO]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Resuming:');
    expect(existsSync(checkpointPath(dataDir))).toBe(false);
    // The totals count the earlier run too: every event loaded once in all, what the first run
    // loaded of the object it was in found stored when that object was read again.
    const stoppedAfter = Number(
      /Stopped \(Ctrl-C\) after .*?, ([\d,]+) events loaded/.exec(first.stdout)?.[1],
    );
    expect(stoppedAfter).toBeGreaterThan(0);
    expect(stoppedAfter).toBeLessThan(N);
    expect(second.stdout).toContain(`${N} events loaded, ${stoppedAfter} already stored, 0 dead letters`);
  }, 120_000);

  it('loads through a running npm start, and the per-minute metrics equal those before the loss', async () => {
    const pipeline = await processes.start({ dataDir, port });
    const after = await perMinute();
    expect(after).toEqual(truth);
    expect(after.cost).toEqual(truth.cost);

    const run = await replay(['--from', FROM, '--to', TO, '--project', 'dev']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Loading through the running npm start.');
    expect(run.stdout).toContain(`0 events loaded, ${N} already stored`);
    expect(await perMinute()).toEqual(truth);
    await stop(pipeline);
  }, 180_000);

  it('rejects a range it cannot replay, naming the flag', async () => {
    const run = await replay(['--from', TO, '--to', FROM]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--to: from must be before to');
  }, 60_000);
});
