import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseClient } from '../../../../functions/shared/clickhouse/client.js';

/** What a ClickHouse server over HTTP receives for one insert body. */
interface Received {
  readonly encoding: string | undefined;
  readonly body: Buffer;
}

let server: Server;
let url: string;
const received: Received[] = [];

async function readAll(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void readAll(request).then((body) => {
      received.push({ encoding: request.headers['content-encoding'], body });
      response.end('');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function sendInsert(level: number | undefined): Promise<Received> {
  const client = await createClickHouseClient({
    kind: 'http',
    url,
    username: 'u',
    password: 'p',
    ...(level === undefined ? {} : { requestGzipLevel: level }),
  });
  try {
    received.length = 0;
    const text = `${JSON.stringify({ prompt: 'the same words again '.repeat(200) })}\n`.repeat(50);
    const result = await client.exec({
      query: 'INSERT INTO t FORMAT JSONEachRow',
      values: Readable.from([text]),
    });
    for await (const _ of result.stream) {
    }
    const got = received[0];
    if (!got) throw new Error('the server received nothing');
    expect(gunzipSync(got.body).toString()).toBe(text);
    return got;
  } finally {
    await client.close();
  }
}

// zlib marks its fastest level in the gzip header's XFL byte (offset 8): 4 for level 1, 0 for the default.
describe('request compression of insert bodies', () => {
  it("gzips at zlib's default level when no level is given", async () => {
    const got = await sendInsert(undefined);
    expect(got.encoding).toBe('gzip');
    expect(got.body[8]).toBe(0);
  });

  it('gzips at the level the config names', async () => {
    const got = await sendInsert(1);
    expect(got.encoding).toBe('gzip');
    expect(got.body[8]).toBe(4);
  });
});
