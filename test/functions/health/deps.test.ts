import { afterEach, describe, expect, it, vi } from 'vitest';

/** The health function's environment, read once and checked by name. */
afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('lambdaHealthDeps', () => {
  it('names each node by the first label of its host', async () => {
    vi.stubEnv(
      'CLICKHOUSE_NODE_URLS',
      'https://ch-s1-r1.evalforge.internal:8443,https://ch-s2-r1.evalforge.internal:8443',
    );
    vi.stubEnv('CLICKHOUSE_USER', 'evalforge_admin');
    vi.stubEnv(
      'CLICKHOUSE_PASSWORD_SECRET_ARN',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:admin',
    );
    const { lambdaHealthDeps } = await import('../../../functions/health/deps.js');
    const deps = lambdaHealthDeps();
    expect(deps.nodes).toEqual(['ch-s1-r1', 'ch-s2-r1']);
    expect(lambdaHealthDeps()).toBe(deps);
  });

  it('fails by name without the nodes', async () => {
    vi.stubEnv('CLICKHOUSE_NODE_URLS', '');
    vi.stubEnv('CLICKHOUSE_USER', 'evalforge_admin');
    vi.stubEnv(
      'CLICKHOUSE_PASSWORD_SECRET_ARN',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:admin',
    );
    const { lambdaHealthDeps } = await import('../../../functions/health/deps.js');
    expect(() => lambdaHealthDeps()).toThrow(
      /clickhouse-health environment is invalid: .*CLICKHOUSE_NODE_URLS/,
    );
  });

  it('fails by name with a CA that is not a certificate', async () => {
    vi.stubEnv('CLICKHOUSE_NODE_URLS', 'https://ch-s1-r1.evalforge.internal:8443');
    vi.stubEnv('CLICKHOUSE_USER', 'evalforge_admin');
    vi.stubEnv(
      'CLICKHOUSE_PASSWORD_SECRET_ARN',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:admin',
    );
    vi.stubEnv('CLICKHOUSE_CA_CERT', 'bm90IGEgY2VydA==');
    const { lambdaHealthDeps } = await import('../../../functions/health/deps.js');
    expect(() => lambdaHealthDeps()).toThrow(/CLICKHOUSE_CA_CERT.*not a certificate/);
  });
});

describe('nodeName', () => {
  it.each([
    ['https://ch-s1-r1.evalforge.internal:8443', 'ch-s1-r1'],
    ['http://localhost:8123', 'localhost'],
  ])('of %s is %s', async (url, name) => {
    const { nodeName } = await import('../../../functions/health/deps.js');
    expect(nodeName(url)).toBe(name);
  });
});
