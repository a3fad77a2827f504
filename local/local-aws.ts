/**
 * What the local stand-ins for AWS share: the region, credentials and account id their ARNs and
 * clients carry, and the shape of an API emulated on loopback (Kinesis, S3).
 */

/** Credentials for loopback emulators; they never leave the machine. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

/** The account id local ARNs carry: no real account is ever involved. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** An AWS API emulated on loopback, and a client of it. */
export interface LocalService<Client> {
  readonly endpoint: string;
  readonly client: Client;
  /** Destroys the client, then stops the emulator. */
  close(): Promise<void>;
}

/**
 * The service of an emulator listening on loopback `port`: its endpoint, a client made for it,
 * and a close that destroys the client before `stop` stops the emulator.
 */
export function localService<Client extends { destroy(): void }>(
  port: number,
  makeClient: (endpoint: string) => Client,
  stop: () => Promise<void>,
): LocalService<Client> {
  const endpoint = `http://127.0.0.1:${port}`;
  const client = makeClient(endpoint);
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      await stop();
    },
  };
}
