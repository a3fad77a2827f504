import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventGenerator } from '../../lib/workloads/event-generator.js';
import { runLoadCommand } from '../../load-tests/cli.js';
import { parseLoadOptions } from '../../load-tests/options.js';
import { formatReport, type LoadReport } from '../../load-tests/report.js';
import { RUN_ID_METADATA_KEY } from '../../load-tests/runner.js';
import { startLocalTarget } from '../../load-tests/targets.js';
import { verifyDelivery } from '../../load-tests/verify.js';

/**
 * A short load through the real `npm start` (its own process, data directory and port), then the
 * verification step: every acknowledged event counted in ClickHouse once. Then the verification
 * is shown to fail when the store holds a duplicate and an event nobody acknowledged.
 */

let target: Awaited<ReturnType<typeof startLocalTarget>>;
let report: LoadReport;
const notes: string[] = [];

beforeAll(async () => {
  target = await startLocalTarget({ projects: 2 });
  const options = parseLoadOptions([
    '--target',
    'local',
    '--url',
    target.url,
    '--data-dir',
    target.dataDir,
    '--rate',
    '400',
    '--duration',
    '4',
    '--projects',
    '2',
    '--verify-timeout',
    '120',
  ]);
  if (options === 'help') throw new Error('help');
  report = await runLoadCommand(options, { note: (line) => notes.push(line) });
}, 300_000);

afterAll(async () => {
  await target?.stop();
}, 120_000);

describe('npm run load against npm start', () => {
  it('offers the schedule and gets every event acknowledged', () => {
    const { tally } = report.run;
    expect(tally.offered).toBe(1_600);
    expect(
      tally.acknowledged +
        tally.refused +
        tally.inDoubt +
        tally.unsent +
        Object.values(tally.rejected).reduce((a, b) => a + b, 0),
    ).toBe(1_600);
    expect(tally.acknowledged).toBe(1_600);
    expect(report.run.latency.count).toBe(tally.requests);
    expect(report.run.latency.p99Ms).toBeGreaterThan(0);
    expect(notes.some((line) => /offered [\d,]+\/s {2}due [\d,]+\/s {2}acknowledged/.test(line))).toBe(true);
  });

  it('verifies: every acknowledged event, probes included, stored exactly once', () => {
    const v = report.verification;
    expect(v).toBeDefined();
    const probes = report.run.freshness?.acknowledged ?? 0;
    // One probe a second while requests are due (the last batches go up to a second after the
    // 4 s schedule), each acknowledged and read back through the query API.
    expect(report.run.freshness?.probes).toBeGreaterThanOrEqual(4);
    expect(report.run.freshness).toMatchObject({ acknowledged: probes, neverSeen: 0 });
    expect(v).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0, inDoubt: 0, ok: true, caughtUp: true });
    expect(v?.acknowledged).toBe(1_600 + probes);
    expect(v?.stored).toBe(1_600 + probes);
    expect(v?.projects).toEqual(['load-1', 'load-2']);
    expect(report.passed).toBe(true);
    expect(formatReport(report)).toMatch(/lost 0, duplicated 0, unexpected 0: PASSED/);
  });

  it('fails the verification when the store holds a duplicate and an event nobody acknowledged', async () => {
    // The same event in two requests with different Idempotency-Keys: stored twice, by design.
    const event = eventGenerator({ seed: 9, metadata: { [RUN_ID_METADATA_KEY]: report.runId } }).next({
      timestamp: report.run.lastEventAt,
    });
    const apiKey = target.projects[1]?.apiKey ?? '';
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${target.url}/v1/events`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify({ events: [event] }),
      });
      expect(response.status).toBe(200);
    }
    const verify = () =>
      verifyDelivery({
        url: target.url,
        apiKeys: target.projects.map((p) => p.apiKey),
        runId: report.runId,
        from: report.run.firstEventAt,
        to: report.run.lastEventAt,
        sent: report.run.perProject,
        timeoutMs: 10_000,
        settleMs: 0,
      });
    // The two rows are queryable once the loader has them.
    const before = report.verification?.stored ?? 0;
    let v = await verify();
    for (const deadline = Date.now() + 60_000; v.stored < before + 2 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      v = await verify();
    }
    expect(v).toMatchObject({ duplicated: 1, unexpected: 1, lost: 0, ok: false });
  }, 120_000);
});
