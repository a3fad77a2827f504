import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/free-port.js';
import { NpmStartProcesses } from '../helpers/npm-start.js';

/**
 * The dashboard in a real browser (Debian's chromium, headless) against `npm start` on loopback:
 * what each page shows is what the query API answers for the same key and window.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');
/** Text that would run as script if the page put API data in as markup. */
const HOSTILE = '<img src=x data-injected="yes"><script>window.injected=1</script>';

let dir: string;
let url: string;
let key: string;
let browser: Browser;
const processes = new NpmStartProcesses();

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const traceId = hex(16);
const rootSpan = hex(8);

/** Ten calls over two models, three failed, half tagged feature=search; then a trace of three spans. */
function events(): Record<string, unknown>[] {
  const now = Date.now();
  const calls = Array.from({ length: 10 }, (_, i) => ({
    trace_id: hex(16),
    span_id: hex(8),
    timestamp: new Date(now - 20_000 + i * 1_000).toISOString(),
    name: 'chat.completion',
    model: i % 2 === 0 ? 'gpt-4o-mini' : 'claude-haiku-4',
    latency_ms: 100 + i * 37,
    input_tokens: 10 + i,
    output_tokens: 20 + i,
    cost_cents: 0.25 * (i + 1),
    status: i % 4 === 1 ? 'error' : 'ok',
    ...(i % 4 === 1 ? { error_message: `rate limited ${i}` } : {}),
    metadata: { feature: i < 5 ? 'search' : 'chat' },
    prompt: `question ${i}`,
    response: `answer ${i}`,
  }));
  const start = now - 5_000;
  const span = (span_id: string, parent: string, offsetMs: number, extra: Record<string, unknown>) => ({
    trace_id: traceId,
    span_id,
    parent_span_id: parent,
    timestamp: new Date(start + offsetMs).toISOString(),
    model: 'gpt-4o',
    input_tokens: 5,
    output_tokens: 7,
    cost_cents: 0.5,
    ...extra,
  });
  return [
    ...calls,
    span(rootSpan, '', 0, { name: 'agent.run', latency_ms: 900, prompt: 'plan a trip', response: 'done' }),
    span(hex(8), rootSpan, 100, { name: 'tool.search', latency_ms: 300, metadata: { tool: 'search' } }),
    span(hex(8), rootSpan, 450, {
      name: 'llm.answer',
      latency_ms: 400,
      status: 'error',
      error_message: 'context too long',
      prompt: HOSTILE,
      response: '',
    }),
  ];
}

async function api<T>(path: string, apiKey = key): Promise<T> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as T;
}

interface Summary {
  summary: {
    requests: number;
    errors: number;
    latency_ms_p95: number;
    total_tokens: number;
    cost_cents: number;
  };
}
interface CallList {
  calls: { trace_id: string; model: string; status: string }[];
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-dashboard-'));
  await mkdir(SCREENSHOTS, { recursive: true });
  const port = await freePort();
  const [started, launched] = await Promise.all([
    processes.start({ dataDir: join(dir, 'data'), port, env: { EVALFORGE_SHARDS: '1' }, timeoutMs: 60_000 }),
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
  ]);
  browser = launched;
  url = started.url;
  key = (await readFile(join(dir, 'data', 'dev-api-key'), 'utf8')).trim();
  const sent = events();
  const ingest = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events: sent }),
  });
  expect(ingest.status, await ingest.text()).toBe(200);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { summary } = await api<Summary>('/v1/summary?window=1h');
    if (summary.requests === sent.length) break;
    if (Date.now() > deadline)
      throw new Error(`ClickHouse holds ${summary.requests} of ${sent.length} events`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await processes.stopAll();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Console errors and page errors of the test's page; each test says which resource failures it expects. */
let problems: string[] = [];
let expectedFailures: RegExp[] = [];
let context: BrowserContext | undefined;

afterEach(async () => {
  await context?.close();
  context = undefined;
  const unexpected = problems.filter((p) => !expectedFailures.some((re) => re.test(p)));
  problems = [];
  expectedFailures = [];
  expect(unexpected).toEqual([]);
});

async function openPage(): Promise<Page> {
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return page;
}

/** Opens the page at `hash` and signs in with `apiKey` through the key form. */
async function signedIn(hash = '#/overview', apiKey = key): Promise<Page> {
  const page = await openPage();
  await page.goto(`${url}/${hash}`);
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  return page;
}

const value = (page: Page, testId: string) => page.getByTestId(testId).getAttribute('data-value');

describe('dashboard', () => {
  it('overview: tiles and models equal the API for the window, three requests a refresh, project named', async () => {
    const page = await openPage();
    const requests: string[] = [];
    page.on('request', (request) => {
      const { pathname, search } = new URL(request.url());
      if (pathname.startsWith('/v1/')) requests.push(`${pathname}${search}`);
    });
    await page.goto(url);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await expect.poll(() => value(page, 'summary-requests')).toBe('13');

    const { summary } = await api<Summary>('/v1/summary?window=1h');
    expect(await value(page, 'summary-errors')).toBe(String(summary.errors));
    expect(await value(page, 'summary-latency-p95')).toBe(String(summary.latency_ms_p95));
    expect(await value(page, 'summary-tokens')).toBe(String(summary.total_tokens));
    expect(await value(page, 'summary-cost')).toBe(String(summary.cost_cents));
    expect(summary.errors).toBe(4);
    const { models } = await api<{ models: { model: string; requests: number }[] }>('/v1/models?window=1h');
    for (const m of models) {
      const cell = page.locator(`[data-testid="models-table"] tr[data-model="${m.model}"] td`).first();
      expect(await cell.getAttribute('data-value')).toBe(String(m.requests));
    }
    await expect.poll(() => page.getByTestId('project').textContent()).toBe('dev');
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(4);
    expect([...requests].sort()).toEqual([
      '/v1/metrics?window=1h',
      '/v1/models?window=1h',
      '/v1/summary?window=1h',
    ]);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true });

    // The next refresh, five seconds on, asks the same three again.
    await expect.poll(() => requests.length, { timeout: 8_000 }).toBe(6);

    await page.getByLabel('Window').selectOption('24h');
    await expect.poll(() => page.url()).toContain('#/overview?window=24h');
    const day = await api<Summary>('/v1/summary?window=24h');
    await expect
      .poll(() => requests.filter((r) => r === '/v1/summary?window=24h').length)
      .toBeGreaterThanOrEqual(1);
    await expect.poll(() => value(page, 'summary-requests')).toBe(String(day.summary.requests));
  });

  it('calls: the status, model and metadata filters show what the API lists, in the hash', async () => {
    const page = await signedIn('#/calls?window=1h&status=error');
    const rows = page.locator('[data-testid="calls-table"] [data-testid="call-row"]');
    const failed = await api<CallList>('/v1/calls?window=1h&status=error&limit=100');
    await expect.poll(() => rows.count()).toBe(failed.calls.length);
    expect(failed.calls.length).toBe(4);
    expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status'))))).toEqual(
      new Set(['error']),
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'calls.png'), fullPage: true });

    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Model').selectOption('claude-haiku-4');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.url()).toContain('model=claude-haiku-4');
    const haiku = await api<CallList>('/v1/calls?window=1h&model=claude-haiku-4&limit=100');
    await expect.poll(() => rows.count()).toBe(haiku.calls.length);
    expect(haiku.calls.length).toBe(5);
    expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model'))))).toEqual(
      new Set(['claude-haiku-4']),
    );

    await page.getByLabel('Filter 1').fill('feature=search');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.url()).toContain('metadata=feature%3Dsearch');
    const search = await api<CallList>(
      '/v1/calls?window=1h&model=claude-haiku-4&metadata.feature=search&limit=100',
    );
    expect(search.calls.length).toBe(2);
    await expect.poll(() => rows.count()).toBe(search.calls.length);

    // The slowest and failed panels list what their routes do.
    const slowest = await api<CallList>('/v1/calls/slowest?window=1h&limit=10');
    expect(await page.locator('[data-testid="slowest-table"] [data-testid="call-row"]').count()).toBe(
      slowest.calls.length,
    );
    const failedPanel = await api<CallList>('/v1/calls/failed?window=1h&limit=10');
    expect(await page.locator('[data-testid="failed-table"] [data-testid="call-row"]').count()).toBe(
      failedPanel.calls.length,
    );
  });

  it('trace: a call opens its trace, a tree of the root and its two children, and a span’s details as text', async () => {
    const page = await signedIn('#/calls?window=1h&model=gpt-4o&order=latest');
    await page
      .locator('[data-testid="calls-table"]')
      .getByRole('link', { name: `Trace ${traceId}` })
      .first()
      .click();
    await expect.poll(() => page.url()).toContain(`#/trace/${traceId}`);
    const tree = page.getByRole('tree', { name: 'Spans' });
    const { spans } = await api<{ spans: unknown[] }>(`/v1/traces/${traceId}`);
    expect(spans).toHaveLength(3);
    await expect.poll(() => tree.getByRole('treeitem').count()).toBe(spans.length);
    const root = tree.locator(':scope > [role="treeitem"]');
    expect(await root.count()).toBe(1);
    expect(await root.getAttribute('aria-expanded')).toBe('true');
    expect(await root.locator('[role="group"] > [role="treeitem"]').count()).toBe(2);
    expect(await page.getByTestId('timeline-bar').count()).toBe(3);
    expect(await page.getByTestId('span-name').textContent()).toBe('agent.run');

    await tree.getByRole('treeitem', { name: /llm\.answer/ }).click();
    expect(await page.getByTestId('span-error').textContent()).toBe('context too long');
    expect(await page.getByTestId('span-prompt').textContent()).toBe(HOSTILE);
    expect(await page.locator('[data-injected]').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'trace.png'), fullPage: true });

    // The keyboard: up from the last child reaches the first, and Enter shows it.
    await page.keyboard.press('ArrowUp');
    expect(await page.getByTestId('span-name').textContent()).toBe('tool.search');
  });

  it('trace: an id the project does not have is told so', async () => {
    expectedFailures = [/status of 404/];
    const page = await signedIn(`#/trace/${hex(16)}`);
    await page.getByTestId('no-trace').waitFor();
    expect(await page.getByTestId('no-trace').textContent()).toMatch(/^No such trace/);
  });

  it('an API error is shown in the alert region, with its code and message', async () => {
    expectedFailures = [/status of 400/];
    const page = await signedIn('#/calls?window=1h&metadata=not%20a%20key%3Dx');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/^The API answered 400 \(invalid_query\): metadata/);
    expect(await alert.isVisible()).toBe(true);
  });

  it('cost: the month so far and the table by model equal /v1/costs', async () => {
    const page = await signedIn('#/cost');
    const costs = await api<{
      month: { cost_cents: number; models: { model: string; cost_cents: number }[] };
    }>('/v1/costs?days=30');
    await expect.poll(() => value(page, 'cost-month')).toBe(String(costs.month.cost_cents));
    for (const m of costs.month.models) {
      const cells = page.locator(`[data-testid="cost-models"] tr[data-model="${m.model}"] td`);
      expect(await cells.last().getAttribute('data-value')).toBe(String(m.cost_cents));
    }
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'cost.png'), fullPage: true });
  });

  it('a wrong key is told so and the key form comes back; sign out forgets the key', async () => {
    expectedFailures = [/status of 401/];
    const page = await signedIn('#/overview', `ef_${hex(16)}`);
    const message = page.getByTestId('sign-in-error');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/^This API key was not accepted: ./);
    expect(await page.getByLabel('API key').isVisible()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'wrong-key.png') });

    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.getByTestId('summary-requests').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    // Each after the page has had its time to render: isVisible() does not wait.
    await expect.poll(() => page.getByLabel('API key').isVisible()).toBe(true);
    await page.reload();
    await expect.poll(() => page.getByLabel('API key').isVisible()).toBe(true);
  });
});
