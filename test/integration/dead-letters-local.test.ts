import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeadLettersCommand } from '../../local/dead-letters-cli.js';
import { localKinesisClient } from '../../local/kinesis.js';
import { LOCAL_NAMES, type Pipeline, startPipeline } from '../../local/pipeline.js';
import { statusLine, stoppedLine } from '../../local/status-line.js';
import { insertDeadLetters } from '../helpers/clickhouse.js';

/**
 * Dead letters in the pipeline `npm start` runs: a stream record the loader cannot read becomes
 * a letter that is counted, logged once with the command that lists letters, and shown to no
 * project; a refused event of the dev project is listed by `npm run dead-letters` through the
 * local load balancer.
 */

let dir: string;
let pipeline: Pipeline;
const logged: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-dead-letters-local-'));
  pipeline = await startPipeline({
    dataDir: join(dir, 'data'),
    port: 0,
    pollIntervalMs: 50,
    log: (line) => logged.push(line),
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.close({ drain: false });
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('dead letters in the local pipeline', () => {
  it('counts an unreadable record, logs it once pointing at npm run dead-letters, and shows it to no project', async () => {
    const before = pipeline.stats();
    const kinesis = localKinesisClient(pipeline.kinesisEndpoint);
    await kinesis.send(
      new PutRecordCommand({
        StreamName: LOCAL_NAMES.stream,
        PartitionKey: 'garbage',
        Data: Buffer.from('not a stream record of ours'),
      }),
    );
    kinesis.destroy();
    await pipeline.settle();

    const stats = pipeline.stats();
    expect(stats.deadLetters).toBe(1);
    const lines = logged.filter((line) => line.includes('load_dead_letters'));
    expect(lines).toEqual([
      'loader: 1 dead letter (refused events or unreadable records) written to load_dead_letters, 1 in this run; npm run dead-letters lists the refused events',
    ]);
    expect(statusLine(stats, before, 1)).toContain(', 1 dead letter');
    expect(stoppedLine(stats)).toContain(
      '1 dead letter in load_dead_letters (npm run dead-letters lists them)',
    );

    // A refused event of the dev project, as the loader writes it.
    await insertDeadLetters(pipeline.clickhouse, [
      {
        failed_at: new Date().toISOString(),
        project_id: pipeline.devKey.projectId,
        request_id: 'req-refused',
        engine_code: 53,
        reason: 'Code: 53. DB::Exception: Type mismatch',
        line: '{"latency_ms":"fast"}',
      },
    ]);
    let stdout = '';
    let stderr = '';
    const code = await runDeadLettersCommand(['--window', '1h'], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: { EVALFORGE_URL: pipeline.url, EVALFORGE_DATA_DIR: pipeline.dataDir },
      cwd: dir,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('request req-refused  engine code 53');
    expect(stdout).toContain('line    {"latency_ms":"fast"}');
    expect(stdout).toContain('1 dead letter in the window.');
    expect(stdout).not.toContain('not a stream record');
  });
});
