import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  CA_VALIDITY_DAYS,
  type CertificatesDeps,
  NODE_VALIDITY_DAYS,
  onCertificatesEvent,
  PHYSICAL_ID,
} from '../../../functions/certificates/core.js';
import { CERTIFICATES_CREATE } from './fixture.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY_MS = 86_400_000;

/**
 * Secrets as a map, every write recorded in order; a secret never written holds a random string,
 * as one CloudFormation creates does.
 */
function fakeDeps(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial));
  const writes: string[] = [];
  const deps: CertificatesDeps = {
    secrets: {
      get: async (arn) => values.get(arn) ?? 'Zx8pQ2generated',
      put: async (arn, value) => {
        writes.push(arn);
        values.set(arn, value);
      },
    },
    now: () => NOW,
    log: { info: () => {} },
  };
  return { deps, values, writes };
}

const pemBlock = (pem: string, label: string) =>
  new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`).exec(pem)?.[0] ?? '';

function nodeSecret(values: Map<string, string>, arn: string) {
  const pem = values.get(arn) ?? '';
  return { pem, cert: new X509Certificate(pemBlock(pem, 'CERTIFICATE')), key: pemBlock(pem, 'PRIVATE KEY') };
}

const caOf = (values: Map<string, string>) => new X509Certificate(values.get('arn:ca-cert') ?? '');

const update = (
  properties: Record<string, unknown>,
  old: Record<string, unknown> = CERTIFICATES_CREATE.ResourceProperties,
): CloudFormationCustomResourceEvent => ({
  ...CERTIFICATES_CREATE,
  RequestType: 'Update',
  PhysicalResourceId: PHYSICAL_ID,
  ResourceProperties: { ...CERTIFICATES_CREATE.ResourceProperties, ...properties },
  OldResourceProperties: old as CloudFormationCustomResourceEvent['ResourceProperties'],
});

describe('onCertificatesEvent, Create', async () => {
  const { deps, values, writes } = fakeDeps();
  const response = await onCertificatesEvent(CERTIFICATES_CREATE, () => deps);
  const ca = caOf(values);

  it('stores the CA first, then one key and certificate per node', () => {
    expect(writes).toEqual(['arn:ca-key', 'arn:ca-cert', 'arn:s1r1', 'arn:s2r1', 'arn:keeper1']);
  });

  it('makes a self-signed CA for 10 years that may sign node certificates only', () => {
    expect(ca.subject).toBe('CN=EvalForge ClickHouse CA');
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(new Date(ca.validTo).getTime() - NOW.getTime()).toBeCloseTo(CA_VALIDITY_DAYS * DAY_MS, -4);
    expect(new Date(ca.validFrom).getTime()).toBeLessThan(NOW.getTime());
  });

  it.each([
    ['arn:s1r1', ['s1r1.clickhouse.evalforge.internal', 'clickhouse.evalforge.internal']],
    ['arn:s2r1', ['s2r1.clickhouse.evalforge.internal', 'clickhouse.evalforge.internal']],
    ['arn:keeper1', ['keeper1.clickhouse.evalforge.internal']],
  ])('issues %s a certificate that chains to the CA, for its names, with its own key', (arn, names) => {
    const { cert, key } = nodeSecret(values, arn);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subjectAltName).toBe(names.map((n) => `DNS:${n}`).join(', '));
    expect(cert.subject).toBe(`CN=${names[0]}`);
    for (const name of names) expect(cert.checkHost(name)).toBe(name);
    expect(cert.checkHost('s9r9.clickhouse.evalforge.internal')).toBeUndefined();
    expect(cert.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(new Date(cert.validTo).getTime() - NOW.getTime()).toBeCloseTo(NODE_VALIDITY_DAYS * DAY_MS, -4);
  });

  it('gives every node its own key', () => {
    const keys = ['arn:s1r1', 'arn:s2r1', 'arn:keeper1'].map((arn) => nodeSecret(values, arn).key);
    expect(new Set(keys).size).toBe(3);
  });

  it('keeps the CA key in the CA key secret only, with its generation, and the CA certificate secret public', () => {
    const stored = JSON.parse(values.get('arn:ca-key') ?? '') as {
      authorities: { generation: string; name: string; pem: string }[];
    };
    expect(stored.authorities).toHaveLength(1);
    expect(stored.authorities[0]).toMatchObject({ generation: '1', name: 'EvalForge ClickHouse CA' });
    expect(pemBlock(stored.authorities[0]?.pem ?? '', 'PRIVATE KEY')).not.toBe('');
    expect(new X509Certificate(pemBlock(stored.authorities[0]?.pem ?? '', 'CERTIFICATE')).raw).toEqual(
      ca.raw,
    );
    expect(values.get('arn:ca-cert')).not.toContain('PRIVATE KEY');
  });

  it('answers with the CA certificate (DER, base64) and the nodes issued, never a key', () => {
    expect(response.PhysicalResourceId).toBe(PHYSICAL_ID);
    expect(response.Data?.Issued).toBe('s1r1 s2r1 keeper1');
    expect(Buffer.from(response.Data?.CaCertificate ?? '', 'base64')).toEqual(ca.raw);
    const answer = JSON.stringify(response);
    expect(answer).not.toMatch(/PRIVATE KEY/);
    const caKey = JSON.parse(values.get('arn:ca-key') ?? '').authorities[0].pem as string;
    for (const pem of [
      caKey,
      ...['arn:s1r1', 'arn:s2r1', 'arn:keeper1'].map((arn) => values.get(arn) ?? ''),
    ]) {
      const key = pemBlock(pem, 'PRIVATE KEY').split('\n').slice(1, -1).join('');
      expect(key.length).toBeGreaterThan(40);
      expect(answer).not.toContain(key.slice(0, 40));
    }
  });
});

describe('onCertificatesEvent, Update', () => {
  it('re-issues nothing when neither the CA nor the nodes changed, and answers the same CA', async () => {
    const created = fakeDeps();
    const first = await onCertificatesEvent(CERTIFICATES_CREATE, () => created.deps);
    const before = new Map(created.values);
    created.writes.length = 0;
    const response = await onCertificatesEvent(update({}), () => created.deps);
    expect(created.writes).toEqual([]);
    expect(created.values).toEqual(before);
    expect(response.Data).toEqual({ CaCertificate: first.Data?.CaCertificate, Issued: '' });
  });

  it('issues added nodes only, with the CA already stored', async () => {
    const created = fakeDeps();
    await onCertificatesEvent(CERTIFICATES_CREATE, () => created.deps);
    created.writes.length = 0;
    const nodes = [
      ...CERTIFICATES_CREATE.ResourceProperties.Nodes,
      { Name: 's3r1', DnsNames: ['s3r1.clickhouse.evalforge.internal'], SecretArn: 'arn:s3r1' },
    ];
    const response = await onCertificatesEvent(update({ Nodes: nodes }), () => created.deps);
    expect(created.writes).toEqual(['arn:s3r1']);
    expect(response.Data?.Issued).toBe('s3r1');
    expect(nodeSecret(created.values, 'arn:s3r1').cert.verify(caOf(created.values).publicKey)).toBe(true);
  });

  it('issues a node again when its names change', async () => {
    const created = fakeDeps();
    await onCertificatesEvent(CERTIFICATES_CREATE, () => created.deps);
    created.writes.length = 0;
    const [first, ...rest] = CERTIFICATES_CREATE.ResourceProperties.Nodes;
    const nodes = [{ ...first, DnsNames: ['s1r1.other.internal'] }, ...rest];
    await onCertificatesEvent(update({ Nodes: nodes }), () => created.deps);
    expect(created.writes).toEqual(['arn:s1r1']);
    expect(nodeSecret(created.values, 'arn:s1r1').cert.subjectAltName).toBe('DNS:s1r1.other.internal');
  });

  it('re-issues the CA and every node when the generation changes (the rotation)', async () => {
    const created = fakeDeps();
    await onCertificatesEvent(CERTIFICATES_CREATE, () => created.deps);
    const oldCa = caOf(created.values);
    created.writes.length = 0;
    await onCertificatesEvent(update({ Generation: '2' }), () => created.deps);
    expect(created.writes).toEqual(['arn:ca-key', 'arn:ca-cert', 'arn:s1r1', 'arn:s2r1', 'arn:keeper1']);
    const ca = caOf(created.values);
    expect(ca.raw).not.toEqual(oldCa.raw);
    expect(nodeSecret(created.values, 'arn:s1r1').cert.checkIssued(oldCa)).toBe(false);
    expect(nodeSecret(created.values, 'arn:s1r1').cert.verify(ca.publicKey)).toBe(true);
  });

  it('never issues a node certificate that outlives its CA', async () => {
    const created = fakeDeps();
    await onCertificatesEvent(CERTIFICATES_CREATE, () => created.deps);
    const ca = caOf(created.values);
    const later = new Date(NOW.getTime() + (CA_VALIDITY_DAYS - 30) * DAY_MS);
    const nodes = [
      ...CERTIFICATES_CREATE.ResourceProperties.Nodes,
      { Name: 's3r1', DnsNames: ['s3r1.clickhouse.evalforge.internal'], SecretArn: 'arn:s3r1' },
    ];
    await onCertificatesEvent(update({ Nodes: nodes }), () => ({ ...created.deps, now: () => later }));
    expect(nodeSecret(created.values, 'arn:s3r1').cert.validTo).toBe(ca.validTo);
  });

  it('brings the previous CA back when a rotation is rolled back, and re-issues the nodes with it', async () => {
    const created = fakeDeps();
    await onCertificatesEvent(CERTIFICATES_CREATE, () => created.deps);
    const first = caOf(created.values);
    const rotated = update({ Generation: '2' });
    await onCertificatesEvent(rotated, () => created.deps);
    expect(caOf(created.values).raw).not.toEqual(first.raw);
    created.writes.length = 0;
    // CloudFormation's rollback: an Update from the new properties back to the old ones.
    const rollback = update({ Generation: '1' }, rotated.ResourceProperties);
    const response = await onCertificatesEvent(rollback, () => created.deps);
    expect(created.writes).toEqual(['arn:ca-cert', 'arn:s1r1', 'arn:s2r1', 'arn:keeper1']);
    expect(caOf(created.values).raw).toEqual(first.raw);
    expect(Buffer.from(response.Data?.CaCertificate ?? '', 'base64')).toEqual(first.raw);
    expect(nodeSecret(created.values, 'arn:s2r1').cert.verify(first.publicKey)).toBe(true);
  });

  it('keeps two generations of CA: a third rotation forgets the first', async () => {
    const created = fakeDeps();
    await onCertificatesEvent(CERTIFICATES_CREATE, () => created.deps);
    await onCertificatesEvent(update({ Generation: '2' }), () => created.deps);
    await onCertificatesEvent(
      update({ Generation: '3' }, { ...CERTIFICATES_CREATE.ResourceProperties, Generation: '2' }),
      () => created.deps,
    );
    const stored = JSON.parse(created.values.get('arn:ca-key') ?? '') as {
      authorities: { generation: string }[];
    };
    expect(stored.authorities.map((a) => a.generation)).toEqual(['3', '2']);
  });

  it('fails an Update that adds a node when the CA key secret holds no CA of the generation, naming the way out', async () => {
    const { deps } = fakeDeps({ 'arn:ca-key': 'placeholder' });
    await expect(onCertificatesEvent(update({}), () => deps)).rejects.toThrow(
      'the CA key secret holds no CA of generation 1; set a new certificateGeneration to issue one',
    );
  });
});

describe('onCertificatesEvent, Delete and bad requests', () => {
  it('answers a Delete with its resource and touches no secret', async () => {
    const event = { ...CERTIFICATES_CREATE, RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID } as const;
    const response = await onCertificatesEvent(event, () => {
      throw new Error('a Delete needs no dependencies');
    });
    expect(response).toEqual({ PhysicalResourceId: PHYSICAL_ID });
  });

  it.each([
    ['no node', { Nodes: [] }, /Nodes/],
    ['a node without a name', { Nodes: [{ DnsNames: ['a.b'], SecretArn: 'arn:x' }] }, /Nodes\.0\.Name/],
    [
      'a node twice',
      {
        Nodes: [
          { Name: 's1r1', DnsNames: ['a.b'], SecretArn: 'arn:x' },
          { Name: 's1r1', DnsNames: ['a.b'], SecretArn: 'arn:y' },
        ],
      },
      /node s1r1 twice/,
    ],
    ['no CA secret', { CaKeySecretArn: '' }, /CaKeySecretArn/],
  ])('rejects a Create with %s, before any secret is written', async (_, properties, message) => {
    const { deps, writes } = fakeDeps();
    const event = {
      ...CERTIFICATES_CREATE,
      ResourceProperties: { ...CERTIFICATES_CREATE.ResourceProperties, ...properties },
    };
    await expect(onCertificatesEvent(event, () => deps)).rejects.toThrow(message);
    expect(writes).toEqual([]);
  });
});
