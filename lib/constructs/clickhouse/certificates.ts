import { CustomResource, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { EvalForgeFunction } from '../evalforge-function.js';
import { customResourceProvider } from './custom-resource-provider.js';

/** A node that gets a certificate: its construct id, its label and the names it answers to. */
export interface CertificateNode {
  /** `Shard1Replica1`, `Keeper2`: its secret is `<nodeId>Certificate`. */
  readonly nodeId: string;
  /** `s1r1`, `keeper2`. */
  readonly name: string;
  /** Its DNS names; the first is the certificate's subject. */
  readonly dnsNames: readonly string[];
}

export interface CertificatesOptions {
  /** The CA's common name; a change issues a new CA. */
  readonly caName: string;
  readonly nodes: readonly CertificateNode[];
  /** A new value re-issues the CA and every certificate. */
  readonly generation: number;
}

/** What the nodes and the clients are given. */
export interface Certificates {
  /** The custom resource: nodes depend on it, so they boot with their certificates stored. */
  readonly resource: CustomResource;
  /** The CA certificate (public), PEM: every node reads it. */
  readonly caCertificateSecret: ISecret;
  /** Each node's key and certificate, by `nodeId`: only that node may read it. */
  readonly nodeSecrets: ReadonlyMap<string, ISecret>;
  /** The CA certificate as DER in base64, for the functions' `CLICKHOUSE_CA_CERT` (a token). */
  readonly caCertificate: string;
}

const ROTATION_REASON =
  'Holds a certificate or key that the certificates custom resource issues; a rotation function cannot restart the nodes that use it. Rotate by incrementing certificateGeneration, which re-issues and restarts the nodes.';

/**
 * The cluster's own CA and node certificates, issued at deploy by functions/certificates: the
 * keys exist only in the function while it runs, in Secrets Manager and on their node, never in
 * the template or the user data. The secrets are made here, empty of anything useful until the
 * resource fills them; the function may write them (PutSecretValue) and read only the CA's key.
 *
 * Its constructs (`CertificateFunction`, `CertificateProvider`, `CertificateProviderLogs`,
 * `Certificates`, `CaKey`, `CaCertificate`, `<node>Certificate`) are children of `scope`, the
 * cluster, as the migrations' are.
 */
export function addCertificatesResource(scope: Construct, options: CertificatesOptions): Certificates {
  const secret = (id: string, description: string) => {
    const s = new Secret(scope, id, { description, removalPolicy: RemovalPolicy.DESTROY });
    Validations.of(s).acknowledge({ id: 'AwsSolutions::AwsSolutions-SMG4', reason: ROTATION_REASON });
    return s;
  };
  const caKey = secret(
    'CaKey',
    'ClickHouse CA: private key and certificate (the certificates function only)',
  );
  const caCertificate = secret('CaCertificate', 'ClickHouse CA certificate (public)');
  const nodeSecrets = new Map(
    options.nodes.map((n) => [
      n.nodeId,
      secret(`${n.nodeId}Certificate`, `ClickHouse ${n.name}: key and certificate`),
    ]),
  );

  const fn = new EvalForgeFunction(scope, 'CertificateFunction', {
    name: 'certificates',
    memoryMiB: 256,
    timeoutSec: 120,
  });
  caKey.grantRead(fn);
  Grant.addToPrincipal({
    grantee: fn,
    actions: ['secretsmanager:PutSecretValue'],
    resourceArns: [caKey, caCertificate, ...nodeSecrets.values()].map((s) => s.secretArn),
  });
  const provider = customResourceProvider(scope, 'CertificateProvider', fn, 'certificates');
  const resource = new CustomResource(scope, 'Certificates', {
    serviceToken: provider.serviceToken,
    resourceType: 'Custom::ClickHouseCertificates',
    properties: {
      Generation: String(options.generation),
      CaName: options.caName,
      CaKeySecretArn: caKey.secretArn,
      CaCertificateSecretArn: caCertificate.secretArn,
      Nodes: options.nodes.map((n) => ({
        Name: n.name,
        DnsNames: [...n.dnsNames],
        SecretArn: nodeSecrets.get(n.nodeId)?.secretArn,
      })),
    },
  });
  return {
    resource,
    caCertificateSecret: caCertificate,
    nodeSecrets,
    caCertificate: resource.getAttString('CaCertificate'),
  };
}
