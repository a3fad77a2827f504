import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { secretsManagerStore } from '../../../functions/certificates/deps.js';

describe('secretsManagerStore', () => {
  const sm = mockClient(SecretsManagerClient);
  const store = secretsManagerStore(new SecretsManagerClient({ region: 'eu-west-1' }));

  it('writes a value as the secret’s new current string', async () => {
    sm.reset();
    sm.on(PutSecretValueCommand).resolves({});
    await store.put('arn:s1r1', 'pem');
    expect(sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'arn:s1r1',
      SecretString: 'pem',
    });
  });

  it('reads a secret’s string, and fails by name on a binary one', async () => {
    sm.reset();
    sm.on(GetSecretValueCommand, { SecretId: 'arn:ca-key' }).resolves({ SecretString: 'pem' });
    sm.on(GetSecretValueCommand, { SecretId: 'arn:binary' }).resolves({ SecretBinary: new Uint8Array(1) });
    await expect(store.get('arn:ca-key')).resolves.toBe('pem');
    await expect(store.get('arn:binary')).rejects.toThrow('secret arn:binary holds no string');
  });
});
