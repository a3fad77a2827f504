import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaMigrateDeps } from '../../../functions/migrate/deps.js';

const ENV = {
  CLICKHOUSE_URL: 'http://s1r1.clickhouse.evalforge.internal:8123',
  CLICKHOUSE_NODE_URLS:
    'http://s1r1.clickhouse.evalforge.internal:8123,http://s2r1.clickhouse.evalforge.internal:8123',
  CLICKHOUSE_USER: 'evalforge_admin',
  CLICKHOUSE_PASSWORD_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin',
};

afterEach(() => {
  vi.unstubAllEnvs();
});

// One file, one container: the failure is not kept, the success is.
describe('lambdaMigrateDeps', () => {
  it('fails by name on a missing or malformed variable', () => {
    vi.stubEnv('CLICKHOUSE_URL', 'not a url');
    vi.stubEnv('CLICKHOUSE_NODE_URLS', ',');
    vi.stubEnv('CLICKHOUSE_USER', ENV.CLICKHOUSE_USER);
    vi.stubEnv('CLICKHOUSE_PASSWORD_SECRET_ARN', undefined);
    expect(() => lambdaMigrateDeps()).toThrow(/^migrate environment is invalid: /);
    expect(() => lambdaMigrateDeps()).toThrow(/CLICKHOUSE_URL: /);
    expect(() => lambdaMigrateDeps()).toThrow(/CLICKHOUSE_NODE_URLS: /);
    expect(() => lambdaMigrateDeps()).toThrow(/CLICKHOUSE_PASSWORD_SECRET_ARN: /);
  });

  it('reads the nodes once, and keeps them for the container', () => {
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
    const deps = lambdaMigrateDeps();
    expect(deps.url).toBe(ENV.CLICKHOUSE_URL);
    expect(deps.nodeUrls).toEqual(ENV.CLICKHOUSE_NODE_URLS.split(','));
    vi.stubEnv('CLICKHOUSE_URL', 'not a url');
    expect(lambdaMigrateDeps()).toBe(deps);
  });
});
