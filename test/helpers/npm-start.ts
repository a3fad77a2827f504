import { type EvalForgeProcess, startEvalForgeProcess } from '../../local/evalforge-process.js';

/**
 * The `npm start` processes one test file starts: `stopAll` (in its `afterAll`) kills whichever
 * still runs and waits for every one to exit, so no process outlives its test.
 */
export class NpmStartProcesses {
  private readonly started: EvalForgeProcess[] = [];

  /** Starts `npm start`'s entry point (`startEvalForgeProcess`) and keeps it to stop. */
  async start(options: Parameters<typeof startEvalForgeProcess>[0]): Promise<EvalForgeProcess> {
    const pipeline = await startEvalForgeProcess(options);
    this.started.push(pipeline);
    return pipeline;
  }

  async stopAll(): Promise<void> {
    for (const { child } of this.started) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await Promise.all(this.started.map((p) => p.exited()));
  }
}
