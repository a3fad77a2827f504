import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onCertificatesEvent } from '../../../../functions/certificates/core.js';
import { createClickHouseClient } from '../../../../functions/shared/clickhouse/client.js';
import { caCertificateSchema, clickHouseEnvSchema } from '../../../../functions/shared/clickhouse/env.js';
import { CERTIFICATES_CREATE } from '../../certificates/fixture.js';

const block = (pem: string, label: string) =>
  new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`).exec(pem)?.[0] ?? '';

/** A CA and a certificate for `name`, issued by the certificates function's core. */
async function issue(name: string) {
  const values = new Map<string, string>();
  const response = await onCertificatesEvent(
    {
      ...CERTIFICATES_CREATE,
      ResourceProperties: {
        ...CERTIFICATES_CREATE.ResourceProperties,
        Nodes: [{ Name: 'node', DnsNames: [name], SecretArn: 'arn:node' }],
      },
    },
    () => ({
      secrets: { get: async () => '', put: async (arn, value) => void values.set(arn, value) },
      now: () => new Date(),
      log: { info: () => {} },
    }),
  );
  const node = values.get('arn:node') ?? '';
  return {
    caBase64: response.Data?.CaCertificate ?? '',
    key: block(node, 'PRIVATE KEY'),
    cert: block(node, 'CERTIFICATE'),
  };
}

describe('CLICKHOUSE_CA_CERT', () => {
  it('takes the CA as the certificates resource answers it (DER, base64) and gives PEM', async () => {
    const { caBase64 } = await issue('localhost');
    const pem = caCertificateSchema.parse(caBase64);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
  });

  it.each([
    ['text that is not base64 DER', 'not a certificate'],
    ['a PEM', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'],
  ])('rejects %s by name', (_, value) => {
    const parsed = clickHouseEnvSchema('evalforge_loader').safeParse({
      CLICKHOUSE_URL: 'https://clickhouse.evalforge.internal:8443',
      CLICKHOUSE_PASSWORD_SECRET_ARN: 'arn:p',
      CLICKHOUSE_CA_CERT: value,
    });
    expect(parsed.error?.issues[0]?.path).toEqual(['CLICKHOUSE_CA_CERT']);
  });

  it('rejects a CA beside a plain http URL, which would never use it', async () => {
    const { caBase64 } = await issue('localhost');
    const parsed = clickHouseEnvSchema('evalforge_loader').safeParse({
      CLICKHOUSE_URL: 'http://clickhouse.evalforge.internal:8123',
      CLICKHOUSE_PASSWORD_SECRET_ARN: 'arn:p',
      CLICKHOUSE_CA_CERT: caBase64,
    });
    expect(parsed.error?.issues[0]?.message).toBe('CLICKHOUSE_CA_CERT is for an https CLICKHOUSE_URL');
  });
});

describe('an https client given the CA', () => {
  let server: Server;
  let ca: string;
  let otherCa: string;
  let port: number;

  beforeAll(async () => {
    const issued = await issue('localhost');
    ca = caCertificateSchema.parse(issued.caBase64);
    otherCa = caCertificateSchema.parse((await issue('localhost')).caBase64);
    // Answers like ClickHouse's /ping.
    server = createServer({ key: issued.key, cert: issued.cert }, (_, res) => res.end('Ok.\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const ping = async (url: string, caCertificate?: string) => {
    const client = await createClickHouseClient({
      kind: 'http',
      url,
      username: 'evalforge_loader',
      password: 'x',
      ...(caCertificate ? { caCertificate } : {}),
    });
    try {
      return await client.ping();
    } finally {
      await client.close();
    }
  };

  it('reaches a server whose certificate chains to the CA and names its host', async () => {
    await expect(ping(`https://localhost:${port}`, ca)).resolves.toEqual({ success: true });
  });

  it.each([
    [
      'without the CA (the system CAs do not know it)',
      () => `https://localhost:${port}`,
      () => undefined,
      /unable to verify the first certificate/,
    ],
    [
      'with another CA',
      () => `https://localhost:${port}`,
      () => otherCa,
      /unable to verify the first certificate/,
    ],
    [
      'at a name the certificate does not hold',
      () => `https://127.0.0.1:${port}`,
      () => ca,
      /IP: 127.0.0.1 is not in the cert's list/,
    ],
  ])('fails %s', async (_, url, caCert, reason) => {
    const result = await ping(url(), caCert());
    expect(result.success).toBe(false);
    expect(result.success ? '' : (result.error as Error).message).toMatch(reason);
  });
});
