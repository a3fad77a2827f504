import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RedriveOptions,
  type RedriveSummary,
  redriveDeadLetters,
} from '../../functions/replay/redrive.js';
import { ClickHouseLoaderStore } from '../../functions/shared/load/clickhouse-store.js';
import { eventGenerator } from '../../lib/workloads/event-generator.js';
import {
  DEAD_LETTERS_USAGE,
  type DeadLettersCommandDeps,
  parseRedriveArgs,
  REDRIVE_USAGE,
  runDeadLettersCommand,
} from '../../local/dead-letters-cli.js';
import { embeddedClickHouse, insertDeadLetters, rows } from '../helpers/clickhouse.js';

/**
 * `npm run dead-letters -- redrive`: its arguments, what it prints, and once against the real
 * redrive on the embedded engine.
 */

async function run(argv: string[], redrive?: DeadLettersCommandDeps['redrive']) {
  let stdout = '';
  let stderr = '';
  const code = await runDeadLettersCommand(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: '/nonexistent',
    ...(redrive ? { redrive } : {}),
  });
  return { code, stdout, stderr };
}

const NONE: RedriveSummary = { letters: 0, loaded: 0, duplicates: 0, refusedAgain: 0, events: 0 };

describe('npm run dead-letters -- redrive', () => {
  it('prints its own help, and the listing points at it', async () => {
    const help = await run(['redrive', '--help']);
    expect(help).toEqual({ code: 0, stdout: REDRIVE_USAGE, stderr: '' });
    expect(REDRIVE_USAGE).toMatch(/^Usage: npm run dead-letters -- redrive \[options\]/);
    expect(DEAD_LETTERS_USAGE).toContain('npm run dead-letters -- redrive --help');
  });

  it.each([
    [['--project', ''], /^error: --project: must be a project id .*; got ""/],
    [['--project', 'my project'], /^error: --project: must be a project id .*; got "my project"/],
    [['--reason', '  '], /^error: --reason: must not be empty/],
    [['--reason', 'x'.repeat(1_001)], /^error: --reason: must be at most 1000 characters/],
    [['--window', '1h'], /^error: Unknown option '--window'/],
    [['--project'], /^error: Option '--project <value>' argument missing/],
    [['now'], /^error: unexpected argument "now"/],
  ])('rejects %j with exit 2, naming the flag', async (args, message) => {
    let called = false;
    const { code, stdout, stderr } = await run(['redrive', ...args], async () => {
      called = true;
      return NONE;
    });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).toContain('Run npm run dead-letters -- redrive --help for the options.');
    expect(called).toBe(false);
  });

  it('reads --project and --reason', () => {
    expect(parseRedriveArgs([])).toEqual({});
    expect(parseRedriveArgs(['--project', 'proj-a', '--reason', 'No_Refused'])).toEqual({
      project: 'proj-a',
      reason: 'No_Refused',
    });
  });

  it('fails with exit 1 when nothing can run the redrive', async () => {
    const { code, stdout, stderr } = await run(['redrive']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('error: redrive cannot run here: this command has no local engine to run it on\n');
  });

  it('passes the options on, prints progress and a summary naming how to list what was refused again', async () => {
    const asked: RedriveOptions[] = [];
    const { code, stdout, stderr } = await run(
      ['redrive', '--project', 'proj-a', '--reason', 'no_refused'],
      async (options, onProgress) => {
        asked.push(options);
        onProgress({ letters: 100, loaded: 99, duplicates: 0, refusedAgain: 1, events: 99 });
        return { letters: 120, loaded: 110, duplicates: 8, refusedAgain: 2, events: 1_110 };
      },
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(asked).toEqual([{ project: 'proj-a', reason: 'no_refused' }]);
    expect(stdout).toBe(
      [
        'Redriving the dead letters of project proj-a whose reason contains "no_refused"…',
        '  100 letters redriven: 99 loaded (99 events), 0 already stored, 1 refused again',
        'Redrove the dead letters of project proj-a whose reason contains "no_refused".',
        '120 letters redriven: 110 loaded (1,110 events), 8 already stored, 2 refused again',
        "2 refused again: each has a new letter with the engine's new reason; npm run dead-letters -- --window 1h lists them (the letters of unreadable records, with no project, are in load_dead_letters only). Fix what refuses them, then redrive again.",
        '',
      ].join('\n'),
    );
  });

  it('says when nothing is left to redrive', async () => {
    const { code, stdout } = await run(['redrive'], async () => NONE);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'No dead letters left to redrive of every project: each was redriven before, or there is none.\n',
    );
  });

  it('fails with exit 1 when the redrive stops, saying that running it again finishes it', async () => {
    const { code, stderr } = await run(['redrive'], async () => {
      throw new Error('Code: 241. Memory limit exceeded');
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: the redrive stopped: Code: 241\. Memory limit exceeded\n.*run it again/s);
  });
});

describe('npm run dead-letters -- redrive on the embedded engine', () => {
  let ch: Awaited<ReturnType<typeof embeddedClickHouse>>;
  let client: ClickHouseClient;
  const NOW = Math.floor(Date.now() / 1000) * 1000;
  beforeAll(async () => {
    ch = await embeddedClickHouse();
    client = ch.client;
  });
  afterAll(async () => ch?.close());

  it('loads the letters once the engine takes them, then finds none left', async () => {
    const generator = eventGenerator({ seed: 3, now: () => NOW - 120_000 });
    const lines = Array.from({ length: 3 }, () => JSON.stringify(generator.next()));
    await insertDeadLetters(
      client,
      lines.map((line, i) => ({
        failed_at: new Date(NOW - 60_000).toISOString(),
        project_id: 'proj-a',
        source: `arn:aws:kinesis:eu-west-1:111111111111:stream/evalforge-events/shardId-000000000000:${i}`,
        request_id: `req-${i}`,
        reason: 'ClickHouse refused the event: Code: 469. DB::Exception: Constraint `no_refused`',
        engine_code: 469,
        line,
      })),
    );
    const store = new ClickHouseLoaderStore(client);
    const redrive: DeadLettersCommandDeps['redrive'] = (options, onProgress) =>
      redriveDeadLetters(client, store, options, { now: () => NOW, onProgress });

    const first = await run(['redrive', '--reason', 'NO_REFUSED'], redrive);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      '3 letters redriven: 3 loaded (3 events), 0 already stored, 0 refused again\n',
    );
    expect(await rows(client, 'SELECT count() AS n FROM events')).toEqual([{ n: 3 }]);

    const again = await run(['redrive'], redrive);
    expect(again.stdout).toContain('No dead letters left to redrive of every project');
    expect(await rows(client, 'SELECT count() AS n FROM events')).toEqual([{ n: 3 }]);
  });
});
