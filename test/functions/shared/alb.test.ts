import { gunzipSync } from 'node:zlib';
import type { ALBEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { albPathWithQuery, fromAlbEvent, toAlbResult } from '../../../functions/shared/alb.js';
import type { HttpResponse } from '../../../functions/shared/http.js';
import { decodeBody } from '../../../functions/validator/body.js';
import { albFixture } from '../../fixtures/alb-events.js';

const FIXTURE_KEY = 'Bearer efk_5f0c2a9e7b3d4c11_q8Vn2LxT0bW7sKdR4mYp9ZcJ3hFa6uGe1oNiXvQwEtS';

describe('fromAlbEvent', () => {
  it('decodes a base64 gzip NDJSON body to the bytes the client sent', () => {
    const event = albFixture('post-events-ndjson-gzip');

    const request = fromAlbEvent(event);

    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/events');
    expect(request.headers).toMatchObject({
      authorization: FIXTURE_KEY,
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
    });
    expect(request.body.equals(Buffer.from(event.body ?? '', 'base64'))).toBe(true);
    const lines = gunzipSync(request.body).toString('utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { span_id: string }).span_id)).toEqual([
      '00f067aa0ba902b7',
      '53995c3f42cd8ad8',
      'b7ad6b7169203331',
    ]);
    // What the core reads from it: three NDJSON events, gzip, nothing unreadable.
    const decoded = decodeBody(request.body, {
      contentType: request.headers['content-type'],
      contentEncoding: request.headers['content-encoding'],
    });
    expect(decoded).toMatchObject({ ok: true, format: 'ndjson', gzip: true });
    expect(decoded.ok && decoded.items.filter((i) => i.error === undefined)).toHaveLength(3);
  });

  it('reads a plain JSON body as UTF-8', () => {
    const event = albFixture('post-events-json');

    const request = fromAlbEvent(event);

    expect(request.body.toString('utf8')).toBe(event.body);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['content-encoding']).toBeUndefined();
    expect(decodeBody(request.body, { contentType: request.headers['content-type'] })).toMatchObject({
      ok: true,
      format: 'json',
      gzip: false,
    });
  });

  it('maps the health check with an empty body', () => {
    const request = fromAlbEvent(albFixture('get-health'));

    expect(request).toMatchObject({ method: 'GET', path: '/v1/health' });
    expect(request.body.length).toBe(0);
    expect(request.headers['user-agent']).toBe('ELB-HealthChecker/2.0');
  });

  it('takes the first value of each multi-value header', () => {
    const event = albFixture('post-events-json-multi-value-headers');
    expect(event.headers).toBeUndefined();

    const request = fromAlbEvent(event);

    expect(request.headers).toMatchObject({
      authorization: FIXTURE_KEY,
      'content-type': 'application/json',
      'x-forwarded-for': '203.0.113.24',
      accept: 'application/json',
    });
    expect(request.body.toString('utf8')).toBe(event.body);
  });

  it('lowercases header names and the method, and reads a null body as empty', () => {
    const event: ALBEvent = {
      ...albFixture('post-events-json'),
      httpMethod: 'post',
      headers: { Authorization: FIXTURE_KEY, 'Content-Type': 'application/x-ndjson' },
      body: null,
    };

    const request = fromAlbEvent(event);

    expect(request.method).toBe('POST');
    expect(request.headers).toEqual({ authorization: FIXTURE_KEY, 'content-type': 'application/x-ndjson' });
    expect(request.body.length).toBe(0);
  });
});

describe('albPathWithQuery', () => {
  it('puts the query string back on the path, still URL-encoded', () => {
    const event = albFixture('get-query-metrics');
    expect(
      albPathWithQuery({ ...event, queryStringParameters: { window: '1h', 'metadata.a': 'x%20y' } }),
    ).toBe(`${event.path}?window=1h&metadata.a=x%20y`);
  });

  it('repeats a name once for each of its values when the target group sends multi-value parameters', () => {
    const event = albFixture('get-query-calls-multi-value-headers');
    expect(
      albPathWithQuery({ ...event, multiValueQueryStringParameters: { window: ['1h', '2h'], limit: ['5'] } }),
    ).toBe(`${event.path}?window=1h&window=2h&limit=5`);
  });

  it('leaves a path without parameters as it is', () => {
    const event = albFixture('get-health');
    expect(albPathWithQuery({ ...event, queryStringParameters: {} })).toBe(event.path);
  });
});

describe('toAlbResult', () => {
  const response = (statusCode: number): HttpResponse => ({
    statusCode,
    headers: { 'content-type': 'application/json', 'retry-after': '1' },
    body: '{"accepted":0}',
  });

  it.each([
    [200, '200 OK'],
    [207, '207 Multi-Status'],
    [401, '401 Unauthorized'],
    [413, '413 Payload Too Large'],
    [429, '429 Too Many Requests'],
    [503, '503 Service Unavailable'],
    [418, '418 Unknown'],
  ])('describes status %i as "%s"', (statusCode, description) => {
    expect(toAlbResult(response(statusCode), false).statusDescription).toBe(description);
  });

  it('answers with single-value headers when the target group sends them', () => {
    expect(toAlbResult(response(429), false)).toEqual({
      statusCode: 429,
      statusDescription: '429 Too Many Requests',
      headers: { 'content-type': 'application/json', 'retry-after': '1' },
      body: '{"accepted":0}',
      isBase64Encoded: false,
    });
  });

  it('answers with multi-value headers only when the target group sends them', () => {
    const result = toAlbResult(response(200), true);

    expect(result).toEqual({
      statusCode: 200,
      statusDescription: '200 OK',
      multiValueHeaders: { 'content-type': ['application/json'], 'retry-after': ['1'] },
      body: '{"accepted":0}',
      isBase64Encoded: false,
    });
    // An ALB with multi-value headers on ignores `headers`; sending both would be ambiguous.
    expect(result.headers).toBeUndefined();
  });
});
