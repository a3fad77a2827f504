import { type ClickHouseClient, createClient } from '@clickhouse/client';

/**
 * Where ClickHouse is: in this process (chDB, for `npm start` and tests) or a server at a URL (in
 * AWS the cluster, HTTPS on port 8443 inside its VPC, verified against the cluster's CA).
 */
export type ClickHouseConfig =
  | {
      readonly kind: 'embedded';
      /** The data directory; one per process. */
      readonly path: string;
      /**
       * A server configuration file (`config.d` XML: disks, storage policies) the engine loads
       * when it opens `path`, e.g. the tiered storage of `npm start`.
       * @default - none: the engine's defaults, one `default` disk
       */
      readonly configFile?: string;
    }
  | {
      readonly kind: 'http';
      readonly url: string;
      readonly username: string;
      readonly password: string;
      readonly database?: string;
      /**
       * The CA (PEM) an https server's certificate must chain to, instead of the system's.
       * @default - the system's CAs (and none for http)
       */
      readonly caCertificate?: string;
      /**
       * The zlib level of the gzip request (insert) bodies, 1 (fastest) to 9.
       * @default - zlib's default, 6
       */
      readonly requestGzipLevel?: number;
    };

/**
 * One `@clickhouse/client` API for both: the embedded engine is plugged in as the client's
 * connection, so every query and insert is the same code in tests, locally and in AWS. chDB is
 * loaded only when asked for: the Lambda bundles never carry its 500 MB library.
 */
export async function createClickHouseClient(config: ClickHouseConfig): Promise<ClickHouseClient> {
  if (config.kind === 'http') {
    return createClient({
      url: config.url,
      username: config.username,
      password: config.password,
      database: config.database ?? 'default',
      request_timeout: 30_000,
      compression: {
        request:
          config.requestGzipLevel === undefined ? true : { codec: 'gzip', level: config.requestGzipLevel },
        response: true,
      },
      ...tlsOptions(config.caCertificate),
    });
  }
  const { createChdbConnection } = await import('chdb/connection');
  // chDB types its connection against its own copy of @clickhouse/client-common; the shapes match.
  type Connection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;
  if (config.configFile === undefined) {
    return createClient({ connection: createChdbConnection({ path: config.path }) as unknown as Connection });
  }
  // chDB reads a configuration file only from the arguments of the first connection to open a
  // data directory, and the client's connection takes none; later connections to the same
  // directory share that engine. So a session opened with the file comes first, and stays open
  // for the client's life: closing the last connection shuts the engine down.
  const { Session } = await import('chdb');
  const session = new Session(config.path, { connectionArgs: [`--config-file=${config.configFile}`] });
  let connection: Connection;
  try {
    connection = createChdbConnection({ path: config.path }) as unknown as Connection;
  } catch (error) {
    session.close();
    throw error;
  }
  const closeConnection = connection.close.bind(connection);
  connection.close = async () => {
    try {
      await closeConnection();
    } finally {
      session.close();
    }
  };
  return createClient({ connection });
}

/**
 * The client's TLS settings for a CA certificate (PEM): the server's certificate must chain to it
 * (Node also checks that it names the URL's host). None without one.
 */
export function tlsOptions(caCertificate: string | undefined): { tls?: { ca_cert: Buffer } } {
  return caCertificate === undefined ? {} : { tls: { ca_cert: Buffer.from(caCertificate) } };
}

/** The rows of a parameterised query, 64-bit integers as JSON numbers (every count here is far below 2^53). */
export async function selectRows<Row>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<Row[]> {
  const result = await client.query({
    query,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return result.json<Row>();
}
