import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLIENT_REGION_HEADER,
  type RegionRouter,
  regionOrder,
  SERVED_BY_HEADER,
  startRegionRouter,
} from '../../local/region-router.js';
import { type RegionPlan, regionEnvironment } from '../../local/regions.js';

/** A stand-in region: answers health checks as told, and echoes what it got. */
interface FakeRegion {
  readonly name: string;
  readonly url: string;
  healthStatus: number;
  /** Destroy the connection of the next ingest request once its body is read, answering nothing. */
  dropNext: boolean;
  readonly bodies: string[];
  close(): Promise<void>;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function fakeRegion(name: string): Promise<FakeRegion> {
  const region = { name, healthStatus: 200, dropNext: false, bodies: [] as string[] } as FakeRegion & {
    url: string;
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/v1/health') {
      req.resume();
      res.writeHead(region.healthStatus).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (region.dropNext) {
        region.dropNext = false;
        req.socket.destroy();
        return;
      }
      const body = Buffer.concat(chunks).toString();
      region.bodies.push(body);
      res.writeHead(201, { 'x-echo-key': String(req.headers['idempotency-key'] ?? '') });
      res.end(`${name}:${req.method} ${req.url} ${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  Object.assign(region, { url: `http://127.0.0.1:${port}`, close });
  open.push(region);
  return region;
}

async function router(regions: FakeRegion[], healthIntervalMs = 50): Promise<RegionRouter> {
  const started = await startRegionRouter({
    regions: regions.map((r) => ({ region: r.name, url: r.url })),
    healthIntervalMs,
    healthTimeoutMs: 500,
  });
  open.push(started);
  return started;
}

async function post(r: RegionRouter, body: string, clientRegion?: string) {
  const response = await fetch(`${r.url}/v1/events?x=1`, {
    method: 'POST',
    headers: {
      'idempotency-key': 'k-1',
      ...(clientRegion === undefined ? {} : { [CLIENT_REGION_HEADER]: clientRegion }),
    },
    body,
  });
  return {
    status: response.status,
    region: response.headers.get(SERVED_BY_HEADER),
    echoKey: response.headers.get('x-echo-key'),
    retryAfter: response.headers.get('retry-after'),
    text: await response.text(),
  };
}

describe('regionOrder', () => {
  it.each([
    [undefined, ['us-east-1', 'eu-west-1', 'ap-southeast-2']],
    ['eu-west-1', ['eu-west-1', 'us-east-1', 'ap-southeast-2']],
    ['ap-southeast-2', ['ap-southeast-2', 'us-east-1', 'eu-west-1']],
  ])('puts the client in %s first, then the others in order', (client, order) => {
    expect(regionOrder(['us-east-1', 'eu-west-1', 'ap-southeast-2'], client)).toEqual(order);
  });
});

describe('the region router', () => {
  it("sends a request to the client's region, the first by default, passing status, headers and body", async () => {
    const us = await fakeRegion('us-east-1');
    const eu = await fakeRegion('eu-west-1');
    const r = await router([us, eu]);
    expect(await post(r, 'hello')).toMatchObject({
      status: 201,
      region: 'us-east-1',
      echoKey: 'k-1',
      text: 'us-east-1:POST /v1/events?x=1 hello',
    });
    expect(await post(r, 'bonjour', 'eu-west-1')).toMatchObject({ status: 201, region: 'eu-west-1' });
    expect(eu.bodies).toEqual(['bonjour']);
  });

  it('skips a region failing its health checks until it passes again', async () => {
    const us = await fakeRegion('us-east-1');
    const eu = await fakeRegion('eu-west-1');
    const r = await router([us, eu]);
    eu.healthStatus = 503;
    await r.checked();
    await r.checked();
    expect(r.health().find((h) => h.region === 'eu-west-1')?.healthy).toBe(false);
    expect(await post(r, 'x', 'eu-west-1')).toMatchObject({ status: 201, region: 'us-east-1' });
    eu.healthStatus = 200;
    await r.checked();
    expect(await post(r, 'y', 'eu-west-1')).toMatchObject({ status: 201, region: 'eu-west-1' });
  });

  it('sends a request to the next region, body and all, when its connection fails before any answer', async () => {
    const us = await fakeRegion('us-east-1');
    const eu = await fakeRegion('eu-west-1');
    const r = await router([us, eu], 60_000);
    eu.dropNext = true;
    const body = 'z'.repeat(200_000);
    expect(await post(r, body, 'eu-west-1')).toMatchObject({
      status: 201,
      region: 'us-east-1',
      echoKey: 'k-1',
    });
    expect(us.bodies).toEqual([body]);
  });

  it('takes a region that refuses connections out at once, without waiting for a check', async () => {
    const us = await fakeRegion('us-east-1');
    const eu = await fakeRegion('eu-west-1');
    const r = await router([us, eu], 60_000);
    await eu.close();
    expect(await post(r, 'a', 'eu-west-1')).toMatchObject({ status: 201, region: 'us-east-1' });
    expect(r.health().find((h) => h.region === 'eu-west-1')?.healthy).toBe(false);
    expect(await post(r, 'b', 'eu-west-1')).toMatchObject({ status: 201, region: 'us-east-1' });
  });

  it('fails with 503 and Retry-After when no region is healthy', async () => {
    const us = await fakeRegion('us-east-1');
    const r = await router([us]);
    await us.close();
    await r.checked();
    const answer = await post(r, 'a');
    expect(answer).toMatchObject({ status: 503, retryAfter: '1' });
    expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'no_healthy_region' } });
  });

  it('rejects a client region it does not route to, naming the regions', async () => {
    const us = await fakeRegion('us-east-1');
    const r = await router([us]);
    const answer = await post(r, 'a', 'mars-north-1');
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('the regions are us-east-1');
  });
});

describe('regionEnvironment', () => {
  const plan = (region: string, port: number, kinesisPort: number): RegionPlan => ({
    region,
    dataDir: `/d/${region}`,
    port,
    kinesisPort,
  });
  it("names the region, the shared key file, its Kinesis port and every other region's endpoint", () => {
    const plans = [plan('us-east-1', 1, 2), plan('eu-west-1', 3, 4), plan('ap-southeast-2', 5, 6)];
    const env = regionEnvironment(plans[1] as RegionPlan, plans, '/d/keys.json', 'efk_dev');
    expect(env).toEqual({
      EVALFORGE_REGION: 'eu-west-1',
      EVALFORGE_KEYS_FILE: '/d/keys.json',
      EVALFORGE_KINESIS_PORT: '4',
      EVALFORGE_REGION_STREAMS: JSON.stringify({
        'us-east-1': 'http://127.0.0.1:2',
        'ap-southeast-2': 'http://127.0.0.1:6',
      }),
      EVALFORGE_API_KEY: 'efk_dev',
    });
  });
});
