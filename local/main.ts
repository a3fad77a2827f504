import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { newApiKey } from '../functions/shared/api-keys.js';
import { FileKeyStore } from '../functions/shared/key-store-file.js';
import { DEFAULT_VALIDATOR_LIMITS } from '../functions/validator/core.js';
import { kinesisPutRecords } from '../functions/validator/kinesis-put.js';
import { SYSTEM_RUNTIME } from '../functions/validator/runtime.js';
import { startIngestServer } from './ingest-server.js';
import { ensureStream, startLocalKinesis } from './kinesis.js';

/**
 * `npm start`: EvalForge's ingest path on one machine, with no AWS account. The validator core
 * serves the same HTTP API as the ALB + Lambda; events go to a local Kinesis API whose LevelDB
 * store lives under the data directory, so nothing acknowledged is lost across a restart.
 */
const STREAM_NAME = 'evalforge-events';
const DEV_PROJECT = 'dev';

async function main(): Promise<void> {
  const dataDir = resolve(process.env.EVALFORGE_DATA_DIR ?? '.evalforge');
  const port = Number(process.env.EVALFORGE_PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`EVALFORGE_PORT must be a port number, got ${process.env.EVALFORGE_PORT}`);
  }
  await mkdir(join(dataDir, 'kinesis'), { recursive: true });

  const kinesis = await startLocalKinesis({ path: join(dataDir, 'kinesis') });
  await ensureStream(kinesis.client, STREAM_NAME, 2);

  const keys = new FileKeyStore(join(dataDir, 'keys.json'));
  let newKey: string | undefined;
  if ((await keys.list()).every((k) => k.revokedAt)) {
    const created = newApiKey(DEV_PROJECT, new Date());
    await keys.put(created.record);
    newKey = created.key;
  }

  const server = await startIngestServer({
    port,
    deps: {
      keys,
      putRecords: kinesisPutRecords(kinesis.client, STREAM_NAME),
      ...SYSTEM_RUNTIME,
      limits: DEFAULT_VALIDATOR_LIMITS,
    },
    onRequest: (s) => {
      if (s.route !== 'events') return;
      console.log(
        `${new Date().toISOString()} POST /v1/events ${s.statusCode} project=${s.projectId ?? '-'} accepted=${s.eventsAccepted} rejected=${s.eventsRejected} retryable=${s.eventsRetryable}${s.errorCode ? ` error=${s.errorCode}` : ''}`,
      );
    },
  });

  console.log(`EvalForge ingest API: ${server.url}  (GET /v1/health, POST /v1/events)`);
  console.log(`Local Kinesis API:    ${kinesis.endpoint}  stream ${STREAM_NAME}`);
  console.log(`Data directory:       ${dataDir}`);
  if (newKey) {
    console.log(`\nAPI key for project "${DEV_PROJECT}" (shown once, stored hashed):\n  ${newKey}\n`);
    console.log(
      `Try it:\n  curl -s ${server.url}/v1/events -H "Authorization: Bearer ${newKey}" -H 'content-type: application/json' \\\n    -d '{"events":[{"model":"gpt-4o-mini","latency_ms":420,"trace_id":"${randomBytes(16).toString('hex')}","span_id":"${randomBytes(8).toString('hex')}","timestamp":"${new Date().toISOString()}","prompt":"hi","response":"hello"}]}'\n`,
    );
  } else {
    console.log('Keys: create one with `npm run keys -- create --project <id>`');
  }

  const stop = async (signal: string) => {
    console.log(`\n${signal}: stopping`);
    await server.close();
    await kinesis.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`evalforge: ${(error as Error).message}`);
  process.exit(1);
});
