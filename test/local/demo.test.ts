import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/free-port.js';
import { newApiKey } from '../../functions/shared/auth/api-keys.js';
import { type DemoIo, runDemo } from '../../local/demo.js';
import type { DemoOptions } from '../../local/demo-core.js';
import { type Pipeline, startPipeline } from '../../local/pipeline.js';
import { rows } from '../helpers/clickhouse.js';

/**
 * `npm run demo` against the pipeline `npm start` runs, in this process: what the demo reports
 * must be what reached ClickHouse, exactly once.
 */

let dir: string;
let pipeline: Pipeline;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-demo-'));
  pipeline = await startPipeline({ dataDir: join(dir, 'data'), port: 0, pollIntervalMs: 50 });
}, 60_000);

afterAll(async () => {
  await pipeline?.close({ drain: false });
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The demo's output, captured line by line. */
function io(signal?: AbortSignal) {
  const lines: string[] = [];
  const errors: string[] = [];
  const sink: DemoIo = {
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    ...(signal ? { signal } : {}),
  };
  return { sink, lines, errors };
}

function options(overrides: Partial<DemoOptions> = {}): DemoOptions {
  return {
    url: pipeline.url,
    urlSource: '--url',
    key: { kind: 'file', path: pipeline.devKey.file },
    ratePerSec: 300,
    durationSec: 3,
    seed: 7,
    progressIntervalMs: 1_000,
    ...overrides,
  };
}

async function eventsInClickHouse(): Promise<number> {
  const [row] = await rows<{ n: number }>(pipeline.clickhouse, 'SELECT count() AS n FROM events');
  return row?.n ?? 0;
}

describe('npm run demo', () => {
  it('sends 300 events/s for 3 s through the SDK and reports what ClickHouse then holds', async () => {
    const { sink, lines, errors } = io();
    const result = await runDemo(options(), sink);

    expect(errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(result.stats).toMatchObject({ captured: 900, sent: 900, dropped: 0 });
    expect(result.loaded).toBe(true);
    expect(await eventsInClickHouse()).toBe(result.stats?.sent);

    const text = lines.join('\n');
    expect(text).toMatch(/300 events\/s for 3 s \(900 events\)/);
    expect(
      lines.filter((line) => /^\s+\d+ s {2}[\d,]+ sent, [\d,]+ accepted/.test(line)).length,
    ).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/Sent 900 events in [\d.]+ s: 900 accepted by the API/);
    expect(text).toMatch(/ClickHouse holds all 900 accepted events/);
    expect(text).toMatch(/^ {2}total +900 /m);
    expect(text).toMatch(/requests 900 · errors \d+/);
    expect(text).toContain(
      `curl -s "${pipeline.url}/v1/models?window=15m" -H "Authorization: Bearer $(cat ${pipeline.devKey.file})"`,
    );
    expect(text).not.toContain(pipeline.devKey.key);
  }, 20_000);

  it('stops sending when told to (Ctrl-C), delivers what it captured, and still reports', async () => {
    const before = await eventsInClickHouse();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 1_000);
    const { sink, lines } = io(stop.signal);
    const started = Date.now();
    const result = await runDemo(options({ durationSec: 60, seed: 8 }), sink);

    expect(result.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const sent = result.stats?.sent ?? 0;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(18_000);
    expect(result.stats?.dropped).toBe(0);
    expect(await eventsInClickHouse()).toBe(before + sent);
    expect(lines.join('\n')).toMatch(/Stopped sending; delivering what was captured/);
  }, 20_000);

  it('fails with a message to run npm start when no API answers', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { sink, lines, errors } = io();
    const result = await runDemo(options({ url, urlSource: 'PORT' }), sink);
    expect(result).toEqual({ exitCode: 1 });
    expect(lines).toEqual([]);
    expect(errors.join('\n')).toMatch(new RegExp(`No EvalForge API answers at ${url} .*\\n.*npm start`));
  });

  it('fails with a message to run npm start when the key file is missing', async () => {
    const path = join(dir, 'elsewhere', 'dev-api-key');
    const { sink, errors } = io();
    const result = await runDemo(options({ key: { kind: 'file', path } }), sink);
    expect(result).toEqual({ exitCode: 1 });
    expect(errors.join('\n')).toMatch(new RegExp(`No API key: ${path} does not exist\\.\\n.*npm start`));
  });

  it('fails on a key the API does not know (401), saying how to get one it knows', async () => {
    const { key } = newApiKey('dev', new Date());
    const { sink, errors } = io();
    const result = await runDemo(options({ key: { kind: 'env', key } }), sink);
    expect(result).toEqual({ exitCode: 1 });
    const message = errors.join('\n');
    expect(message).toMatch(/refused the API key \(from EVALFORGE_API_KEY\): API key is not known/);
    expect(message).toMatch(/same EVALFORGE_API_KEY/);
  });
});
