import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchValidator } from './validator.js';

/**
 * `npm run bench [-- validator loader dashboard pipeline] [--check]`: every benchmark, each as a ratio
 * against a limit measured in the same run. Targets come from the issues; a miss is printed, and
 * `--check` turns it into exit code 1. The ClickHouse benchmarks run in processes of their own:
 * the embedded engine takes one data directory per process.
 */
const TARGETS = { validatorEventsPerSecPerCore: 25_000, validatorRatioToBare: 0.5 };
const ALL = ['validator', 'loader', 'dashboard', 'pipeline'] as const;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function validator(): Promise<boolean> {
  const v = await benchValidator();
  const perCoreOk = v.validatorEventsPerSec >= TARGETS.validatorEventsPerSecPerCore;
  const ratioOk = v.ratio >= TARGETS.validatorRatioToBare;
  console.log('\nvalidator core, gzip NDJSON requests (the SDK path), one core');
  console.log(
    `  request:           ${fmt(v.eventsPerRequest)} events, ${fmt(v.requestBytes)} bytes gzip, ${fmt(v.eventBytes)} bytes per event`,
  );
  console.log(`  bare limit:        ${fmt(v.bareEventsPerSec)} events/s (gunzip + JSON.parse of every line)`);
  console.log(
    `  validator:         ${fmt(v.validatorEventsPerSec)} events/s  target >= ${fmt(TARGETS.validatorEventsPerSecPerCore)}: ${perCoreOk ? 'met' : 'MISSED'}`,
  );
  console.log(
    `  ratio to bare:     ${v.ratio.toFixed(2)}  target >= ${TARGETS.validatorRatioToBare}: ${ratioOk ? 'met' : 'MISSED'}`,
  );
  console.log(
    `  one bad event per request (accepted events compressed again): ${fmt(v.reencodeEventsPerSec)} events/s`,
  );
  console.log(`  uncompressed {"events":[...]} requests: ${fmt(v.jsonEventsPerSec)} events/s`);
  return perCoreOk && ratioOk;
}

/** Runs a benchmark module in a child process; it prints its own figures. */
function child(name: string, check: boolean): boolean {
  const script = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...(check ? ['--check'] : [])], {
    stdio: 'inherit',
  });
  return result.status === 0;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const unknown = asked.filter((a) => !(ALL as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${ALL.join(', ')}`);
    process.exit(2);
  }
  const selected = asked.length > 0 ? asked : [...ALL];
  console.log(
    `EvalForge benchmarks: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'})`,
  );
  let ok = true;
  for (const name of selected) ok = (name === 'validator' ? await validator() : child(name, check)) && ok;
  if (check && !ok) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
