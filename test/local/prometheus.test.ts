import type { ALBEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type ApiKeyRecord, newApiKey } from '../../functions/shared/auth/api-keys.js';
import type { PipelineStats } from '../../local/pipeline.js';
import { metricsAnswer, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../../local/prometheus.js';

const STATS: PipelineStats = {
  requests: 12,
  eventsAccepted: 6_000,
  eventsRejected: 3,
  eventsLoaded: 5_500,
  duplicateRecords: 1,
  deadLetters: 2,
  loaderLagMs: 1_250,
  archiveLagMs: 60_000,
  archiveObjects: 4,
  archiveBufferedBytes: 1_048_576,
  loaderRetries: 5,
};

/** Each sample line as name → value. */
const samples = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const [name, value] = line.split(' ');
        return [name, Number(value)];
      }),
  );

describe('renderPrometheus', () => {
  it('gives every figure once, counters as totals and lags in seconds', () => {
    expect(samples(renderPrometheus(STATS))).toEqual({
      evalforge_requests_total: 12,
      evalforge_events_accepted_total: 6_000,
      evalforge_events_rejected_total: 3,
      evalforge_events_loaded_total: 5_500,
      evalforge_duplicate_records_total: 1,
      evalforge_dead_letters_total: 2,
      evalforge_loader_retries_total: 5,
      evalforge_archive_objects_total: 4,
      evalforge_loader_lag_seconds: 1.25,
      evalforge_archive_lag_seconds: 60,
      evalforge_archive_buffered_bytes: 1_048_576,
    });
  });

  it('follows the text format: a HELP and a TYPE line before each sample, counters ending in _total', () => {
    const lines = renderPrometheus(STATS).trimEnd().split('\n');
    expect(lines.length % 3).toBe(0);
    for (let i = 0; i < lines.length; i += 3) {
      const [help, type, sample] = [lines[i], lines[i + 1], lines[i + 2]];
      const name = sample?.split(' ')[0] ?? '';
      expect(name).toMatch(/^evalforge_[a-z_]+$/);
      expect(help).toMatch(new RegExp(`^# HELP ${name} \\S`));
      expect(type).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge)$`));
      if (type?.endsWith('counter')) expect(name).toMatch(/_total$/);
    }
  });
});

describe('GET /metrics', () => {
  const { key, record } = newApiKey('dev', new Date('2026-12-01T00:00:00Z'));
  const keys = {
    findByKeyId: async (id: string): Promise<ApiKeyRecord | undefined> =>
      id === record.keyId ? record : undefined,
  };
  const event = (method: string, headers: Record<string, string> = {}, path = '/metrics'): ALBEvent => ({
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:local:0:targetgroup/metrics/0' } },
    httpMethod: method,
    path,
    queryStringParameters: {},
    headers,
    body: '',
    isBase64Encoded: false,
  });

  it('answers the figures to a known API key', async () => {
    const result = await metricsAnswer(event('GET', { authorization: `Bearer ${key}` }), keys, () => STATS);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(samples(result.body ?? '').evalforge_events_loaded_total).toBe(5_500);
  });

  it.each([
    [{}, /missing Authorization header/],
    [
      { authorization: 'Bearer efk_0000000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
      /not known/,
    ],
  ])('refuses a request without a known key (%j): 401 naming why', async (headers, reason) => {
    const result = await metricsAnswer(event('GET', headers), keys, () => STATS);
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(result.body ?? '').error.message).toMatch(reason);
  });

  it('answers 405 to another method and 404 below the path', async () => {
    const auth = { authorization: `Bearer ${key}` };
    const post = await metricsAnswer(event('POST', auth), keys, () => STATS);
    expect(post.statusCode).toBe(405);
    expect(post.headers?.allow).toBe('GET, HEAD');
    const below = await metricsAnswer(event('GET', auth, '/metrics/x'), keys, () => STATS);
    expect(below.statusCode).toBe(404);
  });
});
