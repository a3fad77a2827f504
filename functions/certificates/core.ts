// tsyringe, under @peculiar/x509, needs the Reflect metadata API before the library loads.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { describeZodIssues } from '../shared/zod-issues.js';

/**
 * The certificates custom resource of lib/constructs/clickhouse/certificates.ts: the ClickHouse
 * cluster's own certificate authority and one certificate per node, issued at deploy.
 *
 * - **Create** (and an Update that changes `Generation`, the CA's secrets or its name): a new CA and
 *   a certificate for every node. The CA's key and certificate go to the CA key secret (read by
 *   this function only), its certificate alone to the CA certificate secret (read by the nodes),
 *   each node's key and certificate to that node's secret (read by that node only). The CA key
 *   secret keeps the previous generation's CA too: when CloudFormation rolls a rotation back (an
 *   Update back to the old `Generation`), that CA comes back instead of a third one, so nodes that
 *   never restarted still hold certificates the functions accept.
 * - **Update** otherwise: only nodes that are new, or whose names or secret changed, get a
 *   certificate, signed by the CA already stored; every other node keeps its own, so a deploy that
 *   adds a shard does not cut the running nodes off from each other.
 * - **Delete**: nothing; the secrets follow their removal policy.
 *
 * The response's Data carries the CA certificate (public: the functions verify the nodes with
 * it) and the names issued; never a key.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Where the core reads and writes secret values (Secrets Manager in AWS, a map in tests). */
export interface SecretStore {
  /** The secret's current string value. */
  get(secretArn: string): Promise<string>;
  /** A new current value of an existing secret. */
  put(secretArn: string, value: string): Promise<void>;
}

export interface CertificatesLog {
  info(message: string, details: Record<string, unknown>): void;
}

export interface CertificatesDeps {
  readonly secrets: SecretStore;
  readonly now: () => Date;
  readonly log: CertificatesLog;
}

export interface CertificatesResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: {
    /** The CA certificate, DER in base64 on one line (an environment variable takes it as is). */
    readonly CaCertificate: string;
    /** The nodes given a certificate by this request, space-separated ('' when none). */
    readonly Issued: string;
  };
}

/** The resource's one physical id: an Update never replaces it. */
export const PHYSICAL_ID = 'clickhouse-certificates';

/**
 * The CA lives 10 years: it outlives any node certificate it signs, and replacing it means every
 * node and function taking the new one at once (a `Generation` change).
 */
export const CA_VALIDITY_DAYS = 3_650;
/**
 * A node certificate lives 5 years (never past its CA). Nothing renews it automatically and an
 * expired one stops the cluster (Keeper and inter-node connections refuse it), so it must outlast
 * a deployment's life between rotations; the key never leaves Secrets Manager and its node, which
 * is what a shorter life would protect against.
 */
export const NODE_VALIDITY_DAYS = 1_825;
/** Certificates start an hour back: a node whose clock is a little behind still accepts them. */
const BACKDATE_MS = 3_600_000;
const DAY_MS = 86_400_000;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

const nodeSchema = z.object({
  /** The node's label, `s1r1` or `keeper2`: the certificate's subject and the log's name for it. */
  Name: z.string().regex(/^[a-z0-9-]+$/),
  /** The DNS names the certificate is valid for; the first is its common name. */
  DnsNames: z.array(z.string().regex(/^[a-z0-9.-]+$/)).min(1),
  /** The secret that receives the node's key and certificate (PEM, key first). */
  SecretArn: z.string().min(1),
});

const propertiesSchema = z.object({
  /** Changing it re-issues the CA and every certificate: the rotation. */
  Generation: z.string().min(1),
  /** The CA's common name. */
  CaName: z.string().min(1),
  /** The CA's key and certificate (PEM): read back to sign certificates for added nodes. */
  CaKeySecretArn: z.string().min(1),
  /** The CA's certificate alone (PEM): what the nodes verify their peers against. */
  CaCertificateSecretArn: z.string().min(1),
  Nodes: z.array(nodeSchema).min(1),
});

type Properties = z.output<typeof propertiesSchema>;
type NodeRequest = z.output<typeof nodeSchema>;

function parseProperties(value: unknown): Properties {
  const parsed = propertiesSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`invalid certificates resource properties: ${describeZodIssues(parsed.error)}`);
  }
  const names = parsed.data.Nodes.map((n) => n.Name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new Error(`invalid certificates resource properties: node ${twice} twice`);
  return parsed.data;
}

interface Authority {
  readonly certificate: x509.X509Certificate;
  readonly privateKey: webcrypto.CryptoKey;
}

/** A random positive serial number of 16 bytes, in hex. */
function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

const subtle = webcrypto.subtle;

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function newAuthority(name: string, now: Date): Promise<Authority> {
  const keys = (await subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [name] }],
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      // Signs node certificates only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, privateKey: keys.privateKey };
}

/** The CA as the CA key secret holds it: its PKCS #8 key, then its certificate. */
async function authorityPem(authority: Authority): Promise<string> {
  return `${await privateKeyPem(authority.privateKey)}\n${authority.certificate.toString('pem')}\n`;
}

/** What the CA key secret holds: the current generation's CA first, then the one before it. */
const storedSchema = z.object({
  authorities: z.array(z.object({ generation: z.string(), name: z.string(), pem: z.string() })),
});
type StoredAuthority = z.output<typeof storedSchema>['authorities'][number];
/** Generations kept: the current one and the one a rollback returns to. */
const KEPT_AUTHORITIES = 2;

/** The CAs the secret holds; none when it holds anything else (the value it was created with). */
async function storedAuthorities(secrets: SecretStore, secretArn: string): Promise<StoredAuthority[]> {
  const value = await secrets.get(secretArn);
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return [];
  }
  return storedSchema.safeParse(json).data?.authorities ?? [];
}

async function readAuthority(pem: string): Promise<Authority> {
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!key || !cert) throw new Error('the CA key secret holds no key and certificate');
  const privateKey = await subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(key), ALGORITHM, false, [
    'sign',
  ]);
  return { certificate: new x509.X509Certificate(cert), privateKey };
}

/** A node's key and certificate, PEM, the key first (what its secret holds). */
async function issue(authority: Authority, node: NodeRequest, now: Date): Promise<string> {
  const keys = (await subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notAfter = Math.min(
    now.getTime() + NODE_VALIDITY_DAYS * DAY_MS,
    authority.certificate.notAfter.getTime(),
  );
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: [{ CN: [node.DnsNames[0] ?? node.Name] }],
    issuer: authority.certificate.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: authority.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      // A node is a server to clients and peers, and a client of its peers and of Keeper.
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension(
        node.DnsNames.map((value) => ({ type: 'dns' as const, value })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(authority.certificate),
    ],
  });
  return `${await privateKeyPem(keys.privateKey)}\n${certificate.toString('pem')}\n`;
}

/** The CA certificate as Data carries it: DER, base64, one line. */
const caCertificateData = (authority: Authority) =>
  Buffer.from(authority.certificate.rawData).toString('base64');

const sameNode = (a: NodeRequest, b: NodeRequest) =>
  a.SecretArn === b.SecretArn && a.DnsNames.join(',') === b.DnsNames.join(',');

/**
 * What an Update must issue: `all` (the generation's CA, and every node) when the CA's identity
 * changed, else the nodes that are new or changed.
 */
function updatePlan(event: CloudFormationCustomResourceEvent, next: Properties): 'all' | NodeRequest[] {
  if (event.RequestType !== 'Update') return 'all';
  const previous = propertiesSchema.safeParse(event.OldResourceProperties);
  if (!previous.success) return 'all';
  const old = previous.data;
  if (
    old.Generation !== next.Generation ||
    old.CaName !== next.CaName ||
    old.CaKeySecretArn !== next.CaKeySecretArn ||
    old.CaCertificateSecretArn !== next.CaCertificateSecretArn
  ) {
    return 'all';
  }
  return next.Nodes.filter((node) => {
    const before = old.Nodes.find((o) => o.Name === node.Name);
    return before === undefined || !sameNode(before, node);
  });
}

/** Answers one custom resource request; `deps` is called for Create and Update only. */
export async function onCertificatesEvent(
  event: CloudFormationCustomResourceEvent,
  deps: () => CertificatesDeps,
): Promise<CertificatesResponse> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const properties = parseProperties(event.ResourceProperties);
  const { secrets, now, log } = deps();
  const at = now();
  const plan = updatePlan(event, properties);
  const stored = await storedAuthorities(secrets, properties.CaKeySecretArn);
  const kept = stored.find((a) => a.generation === properties.Generation && a.name === properties.CaName);
  let authority: Authority;
  let nodes: readonly NodeRequest[];
  if (plan === 'all') {
    if (kept) {
      authority = await readAuthority(kept.pem);
      log.info('certificate authority of this generation restored', { generation: properties.Generation });
    } else {
      authority = await newAuthority(properties.CaName, at);
      const current = { generation: properties.Generation, name: properties.CaName };
      // The key first: a failure after it leaves a CA that a retry re-uses, never nodes signed by
      // a CA that was not kept.
      await secrets.put(
        properties.CaKeySecretArn,
        JSON.stringify({
          authorities: [{ ...current, pem: await authorityPem(authority) }, ...stored].slice(
            0,
            KEPT_AUTHORITIES,
          ),
        }),
      );
      log.info('new certificate authority', {
        generation: properties.Generation,
        notAfter: authority.certificate.notAfter.toISOString(),
      });
    }
    await secrets.put(properties.CaCertificateSecretArn, `${authority.certificate.toString('pem')}\n`);
    nodes = properties.Nodes;
  } else {
    if (!kept) {
      throw new Error(
        `the CA key secret holds no CA of generation ${properties.Generation}; set a new certificateGeneration to issue one`,
      );
    }
    authority = await readAuthority(kept.pem);
    nodes = plan;
  }
  for (const node of nodes) {
    await secrets.put(node.SecretArn, await issue(authority, node, at));
  }
  const issued = nodes.map((n) => n.Name);
  log.info(issued.length > 0 ? 'certificates issued' : 'no certificate to issue', { issued });
  return {
    PhysicalResourceId: PHYSICAL_ID,
    Data: { CaCertificate: caCertificateData(authority), Issued: issued.join(' ') },
  };
}
