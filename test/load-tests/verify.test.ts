import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { judgeDelivery, VerificationError, verifyDelivery } from '../../load-tests/verify.js';

describe('judgeDelivery', () => {
  it.each([
    {
      case: 'every acknowledged event stored once',
      sent: [
        { acknowledged: 100, inDoubt: 0 },
        { acknowledged: 50, inDoubt: 0 },
      ],
      stored: [
        { calls: 100, distinctCalls: 100 },
        { calls: 50, distinctCalls: 50 },
      ],
      expected: { lost: 0, lostAtMost: 0, duplicated: 0, unexpected: 0, ok: true },
    },
    {
      case: 'fails on a lost event',
      sent: [{ acknowledged: 100, inDoubt: 0 }],
      stored: [{ calls: 99, distinctCalls: 99 }],
      expected: { lost: 1, lostAtMost: 1, duplicated: 0, unexpected: 0, ok: false },
    },
    {
      case: 'fails on a duplicated event',
      sent: [{ acknowledged: 100, inDoubt: 0 }],
      stored: [{ calls: 101, distinctCalls: 100 }],
      expected: { lost: 0, lostAtMost: 0, duplicated: 1, unexpected: 0, ok: false },
    },
    {
      case: 'fails on an event stored though it was refused',
      sent: [{ acknowledged: 100, inDoubt: 0 }],
      stored: [{ calls: 101, distinctCalls: 101 }],
      expected: { lost: 0, lostAtMost: 0, duplicated: 0, unexpected: 1, ok: false },
    },
    {
      case: 'accepts in-doubt events stored or not',
      sent: [{ acknowledged: 100, inDoubt: 5 }],
      stored: [{ calls: 105, distinctCalls: 105 }],
      expected: { lost: 0, lostAtMost: 0, duplicated: 0, unexpected: 0, ok: true },
    },
    {
      case: 'fails when in-doubt events could hide a loss',
      sent: [{ acknowledged: 100, inDoubt: 5 }],
      stored: [{ calls: 102, distinctCalls: 102 }],
      expected: { lost: 0, lostAtMost: 3, duplicated: 0, unexpected: 0, ok: false },
    },
    {
      case: 'does not let one project’s surplus cover another’s loss',
      sent: [
        { acknowledged: 10, inDoubt: 0 },
        { acknowledged: 10, inDoubt: 0 },
      ],
      stored: [
        { calls: 11, distinctCalls: 11 },
        { calls: 9, distinctCalls: 9 },
      ],
      expected: { lost: 1, duplicated: 0, unexpected: 1, ok: false },
    },
  ])('$case', ({ sent, stored, expected }) => {
    expect(judgeDelivery(sent, stored)).toMatchObject(expected);
  });

  it('counts requests in doubt on their own: the unstored ones are not lost', () => {
    const sent = [
      { acknowledged: 100, inDoubt: 50, doubtful: [{ batch: '7', acknowledged: 0, inDoubt: 50 }] },
    ];
    // Without the request's own count, 30 acknowledged events might be missing…
    expect(judgeDelivery(sent, [{ calls: 120, distinctCalls: 120 }])).toMatchObject({
      lost: 0,
      lostAtMost: 30,
      ok: false,
    });
    // …with it, 20 of the 50 in doubt were stored, and all 100 acknowledged ones.
    expect(judgeDelivery(sent, [{ calls: 120, distinctCalls: 120, doubtful: [20] }])).toMatchObject({
      lost: 0,
      lostAtMost: 0,
      unexpected: 0,
      inDoubtStored: 20,
      ok: true,
    });
  });

  it('fails on a loss that stored in-doubt events would otherwise cover', () => {
    const sent = [
      { acknowledged: 100, inDoubt: 10, doubtful: [{ batch: '3', acknowledged: 0, inDoubt: 10 }] },
    ];
    expect(judgeDelivery(sent, [{ calls: 105, distinctCalls: 105, doubtful: [10] }])).toMatchObject({
      lost: 5,
      lostAtMost: 5,
      ok: false,
    });
  });

  it('stays in doubt where one request holds acknowledged and in-doubt events and too few are stored', () => {
    const sent = [{ acknowledged: 5, inDoubt: 5, doubtful: [{ batch: '1', acknowledged: 5, inDoubt: 5 }] }];
    expect(judgeDelivery(sent, [{ calls: 7, distinctCalls: 7, doubtful: [7] }])).toMatchObject({
      lost: 0,
      lostAtMost: 3,
      ok: false,
    });
    expect(judgeDelivery(sent, [{ calls: 10, distinctCalls: 10, doubtful: [10] }]).ok).toBe(true);
  });

  it('fails when the counts do not line up with the projects', () => {
    expect(() => judgeDelivery([{ acknowledged: 1, inDoubt: 0 }], [])).toThrow(
      /1 projects were sent to but 0/,
    );
  });
});

describe('verifyDelivery against the query API', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  /** A query API that answers each count request with the next status of `statuses`, then 200. */
  async function queryApi(statuses: number[], calls: number): Promise<{ url: string; seen: URL[] }> {
    const seen: URL[] = [];
    const server = createServer((req, res) => {
      seen.push(new URL(req.url ?? '/', 'http://x'));
      const status = statuses.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(
        status === 200
          ? JSON.stringify({ project: 'p1', calls, distinct_calls: calls, duplicate_calls: 0 })
          : JSON.stringify({ error: { code: 'x', message: `status ${status}` } }),
      );
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, seen };
  }

  const options = (url: string) => ({
    url,
    apiKeys: ['k1'],
    runId: 'run-7',
    from: '2026-11-27T05:00:00.000Z',
    to: '2026-11-27T05:01:00.000Z',
    sent: [{ acknowledged: 10, inDoubt: 0 }],
    timeoutMs: 10_000,
    settleMs: 0,
  });

  it('asks for the run id over the run’s window widened by a second, and passes', async () => {
    const api = await queryApi([], 10);
    const v = await verifyDelivery(options(api.url));
    expect(v).toMatchObject({ ok: true, caughtUp: true, projects: ['p1'] });
    expect(api.seen[0]?.pathname).toBe('/v1/calls/count');
    expect(Object.fromEntries(api.seen[0]?.searchParams ?? [])).toEqual({
      from: '2026-11-27T04:59:59.000Z',
      to: '2026-11-27T05:01:01.000Z',
      'metadata.load_run': 'run-7',
    });
  });

  it('asks again when the query API is busy (503, 429)', async () => {
    const api = await queryApi([503, 429, 503], 10);
    expect((await verifyDelivery(options(api.url))).ok).toBe(true);
    expect(api.seen.length).toBeGreaterThanOrEqual(4);
  });

  it('fails at once, naming the answer, when the key is refused', async () => {
    const api = await queryApi([401], 10);
    await expect(verifyDelivery(options(api.url))).rejects.toThrow(VerificationError);
    const again = await queryApi([401], 10);
    await expect(verifyDelivery(options(again.url))).rejects.toThrow(
      /answered 401 to GET \/v1\/calls\/count/,
    );
  });

  it('reports what is missing when the deadline passes first', async () => {
    const api = await queryApi([], 7);
    const v = await verifyDelivery({ ...options(api.url), timeoutMs: 300, pollMs: 50 });
    expect(v).toMatchObject({ lost: 3, ok: false, caughtUp: false });
  });
});
