import { SpanKind } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeStreamRecord } from '../../functions/shared/contract/stream-record.js';
import { DEFAULT_VALIDATOR_LIMITS } from '../../functions/validator/core.js';
import { createValidatorHandler } from '../../functions/validator/handler.js';
import type { PutOutcome, PutRecords, StreamRecord } from '../../functions/validator/stream-writer.js';
import { type AlbServer, startAlbServer } from '../../local/alb-server.js';
import { RecordingExporter } from '../helpers/recording-exporter.js';
import { harness } from '../helpers/validator-harness.js';

/**
 * The real OpenTelemetry exporter against the validator's own answers when the stream fails: the
 * handler behind the local load balancer, with a stream that refuses the first writes. An
 * exporter retries 429 and 503 after their Retry-After, and the span reaches the stream once
 * (otlp-exporters.test.ts shows that a 401 is not retried).
 */

let server: AlbServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A stream that answers `failures` writes with `code`, then takes every record. */
function failingThen(failures: number, code: 'throttled' | 'unavailable') {
  const calls: number[] = [];
  const taken: StreamRecord[] = [];
  const put: PutRecords = async (records) => {
    calls.push(records.length);
    if (calls.length <= failures) return records.map(() => ({ ok: false, code, message: 'stream says no' }));
    taken.push(...records);
    return records.map((): PutOutcome => ({ ok: true }));
  };
  return { put, calls, taken };
}

async function sendOneSpan(put: PutRecords): Promise<{ results: ExportResult[]; requests: number }> {
  // The harness's key store and clock, the real time window: the span is sent now.
  const h = harness({
    put,
    deps: {
      now: Date.now,
      limits: { ...DEFAULT_VALIDATOR_LIMITS, retry: { ...DEFAULT_VALIDATOR_LIMITS.retry, maxAttempts: 1 } },
    },
  });
  let requests = 0;
  const handler = createValidatorHandler(() => h.deps, {
    onSummary: () => {
      requests++;
    },
  });
  server = await startAlbServer({
    port: 0,
    host: '127.0.0.1',
    maxBodyBytes: DEFAULT_VALIDATOR_LIMITS.maxBodyBytes,
    routes: [],
    defaultRoute: { functionName: 'validator', handler: (event, context) => handler(event, context) },
  });
  const exporter = new RecordingExporter(
    new OTLPTraceExporter({ url: `${server.url}/v1/traces`, headers: { Authorization: `Bearer ${h.key}` } }),
  );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'retry-test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const span = provider.getTracer('retry-test').startSpan('chat gpt-4o-mini', {
    kind: SpanKind.CLIENT,
    attributes: { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 10 },
  });
  span.end();
  await provider.forceFlush().catch(() => undefined);
  await provider.shutdown();
  return { results: exporter.results, requests };
}

describe('an OpenTelemetry exporter when the stream fails', () => {
  it.each(['throttled', 'unavailable'] as const)(
    'retries after the %s answer and the span reaches the stream once',
    async (code) => {
      const stream = failingThen(1, code);
      const { results, requests } = await sendOneSpan(stream.put);
      expect(results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);
      expect(requests).toBe(2);
      expect(stream.calls).toEqual([1, 1]);
      const lines = stream.taken.flatMap((r) => decodeStreamRecord(r.data).lines.map((l) => JSON.parse(l)));
      expect(lines).toEqual([expect.objectContaining({ name: 'chat gpt-4o-mini', model: 'gpt-4o-mini' })]);
    },
    30_000,
  );
});
