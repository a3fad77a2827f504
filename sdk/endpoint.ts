import { EvalForgeConfigError } from './errors.js';

/**
 * Where a region's ingest API lives: the name the deployment's weighted DNS records answer on.
 * `{region}` becomes the region and `{domain}` the deployment's DNS zone.
 */
export const REGION_ENDPOINT_TEMPLATE = 'https://ingest.{region}.{domain}';
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The ingest API's path under an endpoint. */
export const INGEST_PATH = '/v1/events';

const REGION = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface EndpointOptions {
  readonly endpoint?: string | URL | undefined;
  readonly region?: string | undefined;
  readonly regionEndpointTemplate?: string | undefined;
  readonly domain?: string | undefined;
}

/**
 * The URL events are POSTed to, from exactly one of `endpoint` (a base URL such as
 * `http://127.0.0.1:8080`, or the full `…/v1/events` URL) and `region` (`eu-west-1`, with the
 * deployment's `domain`).
 */
export function resolveIngestUrl(options: EndpointOptions): URL {
  const { endpoint, region } = options;
  if ((endpoint === undefined) === (region === undefined)) {
    throw new EvalForgeConfigError(
      endpoint === undefined
        ? 'set either `endpoint` (a URL) or `region` (like "eu-west-1")'
        : 'set only one of `endpoint` and `region`, not both',
    );
  }
  let base: string | URL;
  if (region !== undefined) {
    if (!REGION.test(region)) {
      throw new EvalForgeConfigError(
        `region ${JSON.stringify(region)} must be lowercase letters, digits and "-"`,
      );
    }
    const template = options.regionEndpointTemplate ?? REGION_ENDPOINT_TEMPLATE;
    if (!template.includes('{region}')) {
      throw new EvalForgeConfigError('regionEndpointTemplate must contain "{region}"');
    }
    if (template.includes('{domain}')) {
      const domain = options.domain;
      if (domain === undefined || !DOMAIN.test(domain)) {
        throw new EvalForgeConfigError(
          domain === undefined
            ? '`region` needs `domain`: the DNS zone your EvalForge deployment answers on, like "example.com"'
            : `domain ${JSON.stringify(domain)} is not a DNS name like "example.com"`,
        );
      }
      base = template.replaceAll('{region}', region).replaceAll('{domain}', domain);
    } else {
      base = template.replaceAll('{region}', region);
    }
  } else {
    base = endpoint ?? '';
  }
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new EvalForgeConfigError(`endpoint ${JSON.stringify(String(base))} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new EvalForgeConfigError(`endpoint must be an http or https URL (got ${url.protocol})`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(INGEST_PATH) ? path : `${path}${INGEST_PATH}`;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url;
}
