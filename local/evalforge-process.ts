import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killWithParent, spawnTypeScript } from '../cli/typescript-process.js';
import { READY_LINE } from './status-line.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface EvalForgeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited(): Promise<number | null>;
}

/**
 * `npm start`'s entry point in a process of its own, for the benchmarks, the load generator and
 * the restart tests; resolves once it serves on `port`.
 */
export async function startEvalForgeProcess(options: {
  readonly dataDir: string;
  readonly port: number;
  /** `npm start`'s flags, e.g. `['--hot-days', '0']`. @default - none */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /**
   * In a process group of its own, so a Ctrl-C at the terminal reaches only its parent, which
   * decides when to stop it (the load generator verifies before it stops the pipeline). It is
   * killed when the parent exits. @default false
   */
  readonly ownProcessGroup?: boolean;
}): Promise<EvalForgeProcess> {
  const child = spawnTypeScript('local/main.ts', options.args ?? [], {
    cwd: ROOT,
    env: { ...process.env, ...options.env, EVALFORGE_DATA_DIR: options.dataDir, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
  if (options.ownProcessGroup) killWithParent(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timeoutMs = options.timeoutMs ?? 120_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm start did not serve within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = () => {
      if (output.includes(READY_LINE)) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    url: `http://127.0.0.1:${options.port}`,
    output: () => output,
    exited: () => exit,
  };
}
