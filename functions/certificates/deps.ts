import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { observability } from '../shared/observability.js';
import type { CertificatesDeps, SecretStore } from './core.js';

/** The function's logger, at module scope: the handler adds the invocation's context to it. */
export const { logger } = observability('certificates');

/** Secrets Manager as the core's store; the secrets' ARNs come in the resource's properties. */
export function secretsManagerStore(client: SecretsManagerClient): SecretStore {
  return {
    async get(secretArn) {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      if (SecretString === undefined) throw new Error(`secret ${secretArn} holds no string`);
      return SecretString;
    },
    async put(secretArn, value) {
      await client.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: value }));
    },
  };
}

let deps: CertificatesDeps | undefined;

/** The deployed function's dependencies, made on first use; the function needs no environment. */
export function lambdaCertificatesDeps(): CertificatesDeps {
  deps ??= {
    secrets: secretsManagerStore(new SecretsManagerClient({})),
    now: () => new Date(),
    log: logger,
  };
  return deps;
}
