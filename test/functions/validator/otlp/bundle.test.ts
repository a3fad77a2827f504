import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpRecordData } from '../../../helpers/otlp-record.js';
import { jsonRequest, jsonSpan, protobufBytes, START_NS } from './otlp-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'otlp-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the OTLP core in an esbuild bundle, as the Lambda functions are built', () => {
  const outfile = join(dir, 'bundle.mjs');
  beforeAll(async () => {
    const root = resolve(import.meta.dirname, '../../../../functions/shared/otlp');
    const validator = resolve(import.meta.dirname, '../../../../functions/validator/otlp');
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `export { decodeTraceRequest } from ${JSON.stringify(join(root, 'decode.ts'))};
export { tracesToEvents } from ${JSON.stringify(join(root, 'core.ts'))};
export { encodeErrorStatus, encodeTraceResponse } from ${JSON.stringify(join(validator, 'response.ts'))};
export { decodeStreamRecord } from ${JSON.stringify(join(root, '../contract/stream-record.ts'))};`,
    );
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'silent',
    });
  });

  it('decodes protobuf with 64-bit precision and reads no .proto file at run time', async () => {
    expect(readFileSync(outfile, 'utf8')).not.toMatch(/\.proto['"]/);
    const bundled = await import(pathToFileURL(outfile).href);
    const { request } = bundled.decodeTraceRequest(protobufBytes(jsonRequest([jsonSpan()])), {
      contentType: 'application/x-protobuf',
      maxDecodedBytes: 1 << 20,
    });
    expect(request.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano).toBe(START_NS);
    expect(bundled.tracesToEvents(request, { projectId: 'p' }).events).toHaveLength(1);
    expect(
      bundled.encodeTraceResponse('protobuf', { rejectedSpans: 1, errorMessage: 'x' }).body,
    ).toHaveLength(7);
    expect(bundled.encodeErrorStatus('protobuf', 400, 'x').body).toHaveLength(5);
  });

  it('reads an OTLP stream record back as the loader does, span by span, in the same bundle', async () => {
    const bundled = await import(pathToFileURL(outfile).href);
    const body = Buffer.from(protobufBytes(jsonRequest([jsonSpan()])));
    const data = otlpRecordData(body);
    const { lines, rejected } = bundled.decodeStreamRecord(data);
    expect(rejected).toEqual([]);
    expect(JSON.parse(lines[0]).timestamp).toBe(
      new Date(Number(BigInt(START_NS) / 1_000_000n)).toISOString(),
    );
  });
});
