import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

/**
 * Node running the TypeScript module `script` in a process of its own, through the same loader
 * as the npm scripts (tsx): `npm start` under the load generator, a benchmark in its own process.
 */
export function spawnTypeScript(
  script: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], options);
}

/**
 * Kills `child` when this process (`parent`, injectable for tests) exits, however it exits: a
 * child in a process group of its own gets no Ctrl-C from the terminal, and must not outlive the
 * parent that would have stopped it.
 */
export function killWithParent(
  child: ChildProcess,
  parent: Pick<NodeJS.Process, 'once' | 'off'> = process,
): void {
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  parent.once('exit', kill);
  child.once('exit', () => parent.off('exit', kill));
}
