import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killWithParent, spawnTypeScript } from '../../cli/typescript-process.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-ts-process-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('spawnTypeScript', () => {
  it('runs a TypeScript module with its arguments in a child process', async () => {
    const script = join(dir, 'echo.ts');
    await writeFile(script, 'const args: string[] = process.argv.slice(2);\nconsole.log(args.join(","));\n');
    const child = spawnTypeScript(script, ['--json-out', 'a b'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(out.trim()).toBe('--json-out,a b');
  });
});

/** A child that records the signals it is sent. */
function fakeChild(): ChildProcess & { signals: string[]; end(): void } {
  const child = Object.assign(new EventEmitter(), {
    exitCode: null as number | null,
    signalCode: null as string | null,
    signals: [] as string[],
    kill(signal: string) {
      child.signals.push(signal);
      return true;
    },
    end() {
      child.exitCode = 0;
      child.emit('exit', 0, null);
    },
  });
  return child as unknown as ChildProcess & { signals: string[]; end(): void };
}

/** A stand-in for this process: emitting its 'exit' must not end the test worker's own listeners. */
const parentProcess = () => new EventEmitter() as EventEmitter & Pick<NodeJS.Process, 'once' | 'off'>;

describe('killWithParent', () => {
  it('kills a running child when the parent exits', () => {
    const child = fakeChild();
    const parent = parentProcess();
    killWithParent(child, parent);
    parent.emit('exit', 0);
    expect(child.signals).toEqual(['SIGKILL']);
  });

  it('leaves the parent alone once the child has exited', () => {
    const child = fakeChild();
    const parent = parentProcess();
    killWithParent(child, parent);
    expect(parent.listenerCount('exit')).toBe(1);
    child.end();
    expect(parent.listenerCount('exit')).toBe(0);
    parent.emit('exit', 0);
    expect(child.signals).toEqual([]);
  });
});
