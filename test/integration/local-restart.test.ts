import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/free-port.js';
import { eventGenerator } from '../../lib/workloads/event-generator.js';
import { openLocalClickHouse } from '../../local/cold-storage.js';
import type { EvalForgeProcess } from '../../local/evalforge-process.js';
import { LOCAL_NAMES } from '../../local/pipeline.js';
import { startLocalS3 } from '../../local/s3.js';
import { EvalForgeClient } from '../../sdk/index.js';
import { archivedSpans } from '../helpers/archive.js';
import { rows } from '../helpers/clickhouse.js';
import { NpmStartProcesses } from '../helpers/npm-start.js';

/**
 * `npm start` killed with SIGKILL while SDK clients are sending, then started again on the same
 * data directory: every event the clients were told was accepted must arrive, exactly once.
 */
let dir: string;
let port: number;
const processes = new NpmStartProcesses();

/** Starts `npm start`'s entry point on the test's data directory and port. */
const start = (): Promise<EvalForgeProcess> =>
  processes.start({
    dataDir: join(dir, 'data'),
    port,
    env: { EVALFORGE_STATUS_INTERVAL: '1' },
    timeoutMs: 60_000,
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-restart-'));
  port = await freePort();
});

afterAll(async () => {
  await processes.stopAll();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm start, killed under load', () => {
  it('delivers every acknowledged event exactly once after kill -9 and a restart', async () => {
    const first = await start();
    const key = (await readFile(join(dir, 'data', 'dev-api-key'), 'utf8')).trim();
    const client = new EvalForgeClient({
      apiKey: key,
      endpoint: `http://127.0.0.1:${port}`,
      maxBatchEvents: 100,
      flushIntervalMs: 50,
      maxConcurrentRequests: 4,
      initialBackoffMs: 200,
      maxBackoffMs: 1_000,
      maxRetries: 100,
      requestTimeoutMs: 5_000,
      maxQueueEvents: 20_000,
      maxQueueBytes: 200 * 1024 * 1024,
    });
    const generator = eventGenerator({ seed: 42 });
    const spans = new Set<string>();
    const capture = (count: number) => {
      for (let i = 0; i < count; i++) {
        const event = generator.next();
        spans.add(String(event.span_id));
        expect(client.capture(event)).toBe(true);
      }
    };

    // Load, then SIGKILL while batches are in flight and the loader is working.
    capture(1_500);
    for (let waited = 0; client.stats().sent < 600; waited += 20) {
      if (waited > 60_000) throw new Error('nothing was acknowledged within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    capture(1_500);
    first.child.kill('SIGKILL');
    await first.exited();
    const acknowledgedBeforeKill = client.stats().sent;
    expect(acknowledgedBeforeKill).toBeGreaterThan(0);
    expect(acknowledgedBeforeKill).toBeLessThan(3_000);

    // The clients keep retrying; the second start takes their resends and the rest of the load.
    const second = await start();
    capture(1_000);
    await client.shutdown({ timeoutMs: 120_000 });
    expect(client.stats()).toMatchObject({ sent: 4_000, dropped: 0 });

    // Ctrl-C drains: what was accepted is loaded and archived before the process exits.
    second.child.kill('SIGINT');
    expect(await second.exited()).toBe(0);

    // The engine opens the data directory with its cold volume, on the local S3 API.
    const s3 = await startLocalS3({ path: join(dir, 'data', 's3') });
    try {
      const clickhouse = await openLocalClickHouse(join(dir, 'data'), s3.endpoint);
      try {
        const [counts] = await rows<{ events: number; distinct: number }>(
          clickhouse,
          'SELECT count() AS events, uniqExact(span_id) AS distinct FROM events',
        );
        expect(counts).toEqual({ events: 4_000, distinct: 4_000 });
        const loaded = await rows<{ span_id: string }>(clickhouse, 'SELECT span_id FROM events');
        expect(new Set(loaded.map((r) => r.span_id))).toEqual(spans);
      } finally {
        await clickhouse.close();
      }
      const archived = await archivedSpans(s3.client, LOCAL_NAMES.bucket);
      expect(new Set(archived.get('dev')?.keys())).toEqual(spans);
    } finally {
      await s3.close();
    }
  }, 300_000);
});
