import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDashboardSync } from '../../dashboard/build.js';
import { matchesRoutePattern, QUERY_ROUTE_PATTERNS } from '../../functions/shared/http.js';
import { DASHBOARD_CSP, dashboardAssets } from '../../local/dashboard-assets.js';
import { localLambdaContext } from '../../local/lambda-context.js';
import { albFixture } from '../fixtures/alb-events.js';

const dir = mkdtempSync(join(tmpdir(), 'evalforge-dashboard-assets-'));
const assets = dashboardAssets(join(dir, 'site'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = albFixture('get-health');
const request = (path: string, method = 'GET') =>
  assets.handler(
    { ...base, path, httpMethod: method, body: '', isBase64Encoded: false },
    localLambdaContext('dashboard', 3_000),
  );

describe('the dashboard build', () => {
  it('writes the page, the bundle, the stylesheet and their maps, and no config.json', () => {
    const out = join(dir, 'build');
    expect(buildDashboardSync(out)).toEqual(['app.css', 'app.css.map', 'app.js', 'app.js.map', 'index.html']);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('src="app.js"');
    expect(html).toContain('href="app.css"');
    // The policy refuses inline script: the page has none.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});

describe('dashboardAssets (npm start)', () => {
  it('answers /, /index.html, the bundle and config.json with their types, nosniff and the policy', async () => {
    const cases = [
      ['/', 'text/html; charset=utf-8', 'no-cache'],
      ['/index.html', 'text/html; charset=utf-8', 'no-cache'],
      ['/app.js', 'text/javascript; charset=utf-8', 'no-cache'],
      ['/app.css', 'text/css; charset=utf-8', 'no-cache'],
      ['/config.json', 'application/json; charset=utf-8', 'no-store'],
    ] as const;
    for (const [path, type, cache] of cases) {
      const result = await request(path);
      expect(result.statusCode, path).toBe(200);
      expect(result.headers).toMatchObject({
        'content-type': type,
        'cache-control': cache,
        'x-content-type-options': 'nosniff',
        'content-security-policy': DASHBOARD_CSP,
      });
      expect(result.body?.length, path).toBeGreaterThan(0);
    }
    expect(JSON.parse((await request('/config.json')).body ?? '')).toEqual({ apiUrl: '' });
  });

  it('the policy allows nothing inline and nothing from another origin', () => {
    expect(DASHBOARD_CSP).toContain("default-src 'self'");
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
  });

  it('answers HEAD without a body, and rejects other methods and unknown files', async () => {
    const head = await request('/app.js', 'HEAD');
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect((await request('/', 'POST')).statusCode).toBe(405);
    expect((await request('/secrets.txt')).statusCode).toBe(404);
  });

  it('routes no path of the API', () => {
    for (const pattern of assets.pathPatterns) {
      expect(pattern.startsWith('/v1')).toBe(false);
      expect(pattern.endsWith('*')).toBe(false);
    }
    for (const path of ['/v1/metrics', '/v1/events', '/v1/traces/abc', '/metrics']) {
      expect(matchesRoutePattern(path, assets.pathPatterns)).toBe(false);
    }
    expect(assets.pathPatterns.some((p) => matchesRoutePattern(p, QUERY_ROUTE_PATTERNS))).toBe(false);
  });
});
