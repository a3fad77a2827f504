import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { UsageError } from '../cli/flags.js';
import { isMainModule } from '../cli/main-module.js';
import { onStopSignals } from '../cli/stop-signals.js';
import { LOAD_USAGE, type LoadOptions, parseLoadOptions } from './options.js';
import { projectWeights } from './planner.js';
import { formatReport, kneeOf, type LoadReport, progressLine } from './report.js';
import { type Progress, runLoad } from './runner.js';
import { existingTarget, startLocalTarget, type Target } from './targets.js';
import { type Verification, VerificationError, verifyDelivery } from './verify.js';

/**
 * `npm run load -- …`: one load run against a target, a live progress line while it runs, then
 * the report (text, and JSON with `--json` or `--json-out`) with the verification that every
 * acknowledged event is in ClickHouse exactly once. Exit code 0 when it is, 1 when not, 2 for bad
 * arguments.
 */

export interface LoadIo {
  /** Progress and notes while it runs. */
  readonly note: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Each progress interval, as numbers (a benchmark samples the pipeline's memory here). */
  readonly onProgress?: (progress: Progress) => void;
  /** Once the target serves, before the load. */
  readonly onTarget?: (target: Target) => void;
  /** After the verification, before the target the run started is stopped. */
  readonly beforeStop?: (target: Target) => Promise<void>;
}

/** A run id: sortable by time, unique enough to tag one run's events. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

async function openTarget(options: LoadOptions, io: LoadIo): Promise<Target> {
  const projects = options.scenario.projects;
  switch (options.target.kind) {
    case 'start':
      io.note('starting npm start for the run…');
      return startLocalTarget({
        projects,
        ...(options.target.dataDir === undefined ? {} : { dataDir: options.target.dataDir }),
        onStatus: (line) => io.note(`  pipeline | ${line}`),
      });
    case 'running':
      return existingTarget({
        url: options.target.url,
        apiKeys: options.target.apiKeys,
        dataDir: options.target.dataDir,
        projects,
      });
    case 'url':
      return existingTarget({ url: options.target.url, apiKeys: options.target.apiKeys, projects });
  }
}

export async function runLoadCommand(options: LoadOptions, io: LoadIo): Promise<LoadReport> {
  const runId = newRunId();
  const target = await openTarget(options, io);
  try {
    io.onTarget?.(target);
    const { scenario } = options;
    const weights = projectWeights(scenario.projects)
      .map((w, i) => `${target.projects[i]?.label ?? i + 1} ${Math.round(w * 100)}%`)
      .join(', ');
    io.note(`load run ${runId} against ${target.description}`);
    io.note(`scenario ${scenario.name}: ${scenario.description}; projects ${weights}`);
    if (options.generate === 'ahead')
      io.note('generating and compressing every request before the clock starts…');
    const run = await runLoad({
      url: target.url,
      projects: target.projects,
      scenario,
      runId,
      connections: options.connections,
      gzipLevel: options.gzipLevel,
      maxRetries: options.maxRetries,
      timeoutMs: options.timeoutMs,
      maxInFlight: options.maxInFlight,
      limits: options.limits,
      generate: options.generate,
      sizes: options.sizes,
      seed: options.seed,
      probes: options.probes,
      probeTimeoutMs: options.verifyTimeoutMs,
      onProgress: (p) => {
        io.note(progressLine(p));
        io.onProgress?.(p);
      },
      ...(io.signal ? { signal: io.signal } : {}),
    });
    const knee = kneeOf(scenario, run, options.p99LimitMs);
    const base = {
      runId,
      machine: { cores: cpus().length, cpu: cpus()[0]?.model.trim() ?? 'unknown cpu', node: process.version },
      target: target.description,
      scenario,
      run,
      ...(knee ? { knee } : {}),
    };
    if (!options.verify) {
      await io.beforeStop?.(target);
      return { ...base, verificationSkipped: '--no-verify', passed: true };
    }
    io.note('verifying: counting the run’s events in ClickHouse…');
    let verification: Verification;
    try {
      verification = await verifyDelivery({
        url: target.url,
        apiKeys: target.projects.map((p) => p.apiKey),
        runId,
        from: run.firstEventAt,
        to: run.lastEventAt,
        sent: run.perProject,
        timeoutMs: options.verifyTimeoutMs,
        onPoll: (v, waited) =>
          io.note(
            `  verifying | ${v.distinct.toLocaleString('en-US')} of ${v.acknowledged.toLocaleString('en-US')} acknowledged events stored after ${waited.toFixed(0)} s`,
          ),
      });
    } catch (error) {
      // The run's own figures still stand; the report says the verification could not be made.
      if (!(error instanceof VerificationError)) throw error;
      await io.beforeStop?.(target);
      return { ...base, verificationError: error.message, passed: false };
    }
    await io.beforeStop?.(target);
    return { ...base, verification, passed: verification.ok };
  } finally {
    await target.stop();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let options: LoadOptions | 'help';
  try {
    options = parseLoadOptions(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${LOAD_USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    process.stdout.write(LOAD_USAGE);
    return 0;
  }
  // Ctrl-C stops offering load; the requests in flight finish and the run is still verified.
  const abort = new AbortController();
  onStopSignals({
    first: () => {
      process.stderr.write(
        '\nstopping the load; finishing the requests in flight, then verifying (Ctrl-C again to quit)…\n',
      );
      abort.abort();
    },
    again: () => process.exit(130),
  });
  const text = (line: string) => (options.json ? process.stderr : process.stdout).write(line);
  const report = await runLoadCommand(options, {
    note: (line) => process.stderr.write(`${line}\n`),
    signal: abort.signal,
  });
  text(formatReport(report));
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (options.json) process.stdout.write(json);
  if (options.jsonOut !== undefined) {
    await writeFile(options.jsonOut, json);
    process.stderr.write(`JSON report written to ${options.jsonOut}\n`);
  }
  return report.passed ? 0 : 1;
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`load failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
