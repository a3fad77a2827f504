import { readFileSync, rmSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { buildDashboardSync } from '../dashboard/build.js';
import { fromAlbEvent, toAlbResult } from '../functions/shared/alb.js';
import { errorResponse, type HttpResponse } from '../functions/shared/http.js';
import type { AlbHandler } from './alb-server.js';

/**
 * The dashboard as `npm start` serves it, beside the API on the same port: built once at start,
 * held in memory, answered by a load-balancer route of its own. Deployed, CloudFront serves the
 * same build; here `config.json` names no API URL, so the page calls the origin it came from.
 */

/** Where the page may load from and connect to: its own origin, no inline script or style. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

const CONFIG_PATH = '/config.json';

export interface DashboardAssets {
  /** The exact paths the route answers (`/`, `/index.html`, the bundle, `/config.json`): no `/v1/` path. */
  readonly pathPatterns: readonly string[];
  readonly handler: AlbHandler;
}

/**
 * Builds the dashboard into `outDir` (emptied first) and reads it back; the handler answers `GET`
 * and `HEAD` of the built files, `/` as `index.html`, and `/config.json`.
 */
export function dashboardAssets(outDir: string): DashboardAssets {
  rmSync(outDir, { recursive: true, force: true });
  const files = new Map<string, { body: string; contentType: string }>();
  for (const name of buildDashboardSync(outDir)) {
    const contentType = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
    files.set(`/${name}`, { body: readFileSync(join(outDir, name), 'utf8'), contentType });
  }
  files.set(CONFIG_PATH, { body: JSON.stringify({ apiUrl: '' }), contentType: CONTENT_TYPES['.json'] ?? '' });
  const index = files.get('/index.html');
  if (index) files.set('/', index);
  return { pathPatterns: [...files.keys()], handler: async (event) => answer(event, files) };
}

function answer(
  event: ALBEvent,
  files: ReadonlyMap<string, { body: string; contentType: string }>,
): ALBResult {
  const multiValue = event.multiValueHeaders !== undefined;
  const request = fromAlbEvent(event);
  const file = files.get(request.path);
  let response: HttpResponse;
  if (!file) {
    response = errorResponse(404, 'not_found', `no such dashboard file ${request.path}`);
  } else if (request.method !== 'GET' && request.method !== 'HEAD') {
    response = errorResponse(405, 'method_not_allowed', `${request.path} answers GET only`, {
      allow: 'GET, HEAD',
    });
  } else {
    response = {
      statusCode: 200,
      headers: {
        'content-type': file.contentType,
        // The bundle's names carry no hash: the browser asks again each time, and a rebuild shows.
        'cache-control': request.path === CONFIG_PATH ? 'no-store' : 'no-cache',
      },
      body: request.method === 'HEAD' ? '' : file.body,
    };
  }
  return toAlbResult(
    {
      ...response,
      headers: {
        ...response.headers,
        'x-content-type-options': 'nosniff',
        'content-security-policy': DASHBOARD_CSP,
        'referrer-policy': 'no-referrer',
      },
    },
    multiValue,
  );
}
