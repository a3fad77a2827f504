import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newApiKey } from '../../../functions/shared/auth/api-keys.js';
import { decodeStreamRecord } from '../../../functions/shared/contract/stream-record.js';
import type { PutOutcome, PutRecords, StreamRecord } from '../../../functions/validator/stream-writer.js';
import { harness, jsonBody, NOW } from '../../helpers/validator-harness.js';

/**
 * A deployment across regions: a project's key names its home region. The validator of another
 * region writes that project's records to its transit stream (the forwarder takes them home), or
 * refuses them 421 when it has none; a project at home, or a key without a home, writes the
 * region's own stream as before.
 */

const event = () => ({
  trace_id: randomBytes(16).toString('hex'),
  span_id: randomBytes(8).toString('hex'),
  timestamp: new Date(NOW - 1_000).toISOString(),
  model: 'gpt-4o-mini',
  latency_ms: 100,
});

function transitStream(): { put: PutRecords; records: StreamRecord[] } {
  const records: StreamRecord[] = [];
  return {
    records,
    put: async (batch) => {
      records.push(...batch);
      return batch.map((): PutOutcome => ({ ok: true }));
    },
  };
}

function regional(region: string | undefined, withTransit = true) {
  const transit = transitStream();
  const h = harness({
    deps: { ...(region ? { region } : {}), ...(withTransit ? { transit: transit.put } : {}) },
  });
  const created = new Date(NOW - 86_400_000);
  const eu = newApiKey('proj-eu', created, 'eu-west-1');
  const us = newApiKey('proj-us', created, 'us-east-1');
  h.keys.add(eu.record);
  h.keys.add(us.record);
  const post = (key: string, events: object[], path = '/v1/events') =>
    h.send({
      path,
      body: Buffer.from(jsonBody(events)),
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    });
  return { h, transit, euKey: eu.key, usKey: us.key, post };
}

describe('the validator of one region of several', () => {
  it('writes a project homed elsewhere to the transit stream, its header naming the home region', async () => {
    const { h, transit, euKey, post } = regional('us-east-1');
    const { response, summary } = await post(euKey, [event(), event()]);
    expect(response.statusCode).toBe(200);
    expect(summary.eventsAccepted).toBe(2);
    expect(h.written).toHaveLength(0);
    expect(transit.records).toHaveLength(1);
    const record = decodeStreamRecord((transit.records[0] as StreamRecord).data);
    expect(record.header).toMatchObject({ project_id: 'proj-eu', home_region: 'eu-west-1' });
    expect(record.lines).toHaveLength(2);
    // The same partition key as at home: the request key, so a resend lands on the same shard there.
    expect(transit.records[0]?.partitionKey).toBe(record.header.request_key);
  });

  it('writes a project at home to its own stream', async () => {
    const { h, transit, usKey, post } = regional('us-east-1');
    const { response } = await post(usKey, [event()]);
    expect(response.statusCode).toBe(200);
    expect(h.written).toHaveLength(1);
    expect(decodeStreamRecord((h.written[0] as StreamRecord).data).header.home_region).toBe('us-east-1');
    expect(transit.records).toHaveLength(0);
  });

  it('writes a key without a home region to its own stream', async () => {
    const { h, transit } = regional('eu-west-1');
    const { response } = await h.post(jsonBody([event()]));
    expect(response.statusCode).toBe(200);
    expect(h.written).toHaveLength(1);
    expect(decodeStreamRecord((h.written[0] as StreamRecord).data).header.home_region).toBeUndefined();
    expect(transit.records).toHaveLength(0);
  });

  it('rejects a project homed elsewhere with 421 when it has no transit stream, writing nothing', async () => {
    const { h, euKey, post } = regional('us-east-1', false);
    const { response } = await post(euKey, [event()]);
    expect(response.statusCode).toBe(421);
    const body = JSON.parse(String(response.body)) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('wrong_region');
    expect(body.error.message).toContain('region eu-west-1');
    expect(h.written).toHaveLength(0);
  });

  it('forwards OTLP exports the same way', async () => {
    const { h, transit, euKey } = regional('us-east-1');
    const otlp = {
      resourceSpans: [
        {
          resource: { attributes: [] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: randomBytes(16).toString('hex'),
                  spanId: randomBytes(8).toString('hex'),
                  name: 'chat',
                  startTimeUnixNano: String((NOW - 2_000) * 1e6),
                  endTimeUnixNano: String((NOW - 1_000) * 1e6),
                  attributes: [{ key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } }],
                },
              ],
            },
          ],
        },
      ],
    };
    const { response } = await h.send({
      path: '/v1/traces',
      body: Buffer.from(JSON.stringify(otlp)),
      headers: { authorization: `Bearer ${euKey}`, 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(200);
    expect(h.written).toHaveLength(0);
    expect(transit.records).toHaveLength(1);
    expect(decodeStreamRecord((transit.records[0] as StreamRecord).data).header.home_region).toBe(
      'eu-west-1',
    );
  });
});

describe('a validator that knows no region (one region, or npm start)', () => {
  it("ignores keys' home regions", async () => {
    const { h, transit, euKey, post } = regional(undefined);
    const { response } = await post(euKey, [event()]);
    expect(response.statusCode).toBe(200);
    expect(h.written).toHaveLength(1);
    expect(transit.records).toHaveLength(0);
  });
});
