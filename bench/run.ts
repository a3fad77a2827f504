import { cpus } from 'node:os';
import { benchValidator } from './validator.js';

/**
 * `npm run bench`: every benchmark, each as a ratio against a limit measured in the same run.
 * Targets come from the issues; a miss is printed, and `--check` turns it into exit code 1.
 */
const TARGETS = { validatorEventsPerSecPerCore: 25_000, validatorRatioToBare: 0.5 };

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  console.log(
    `EvalForge benchmarks: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}); one core used`,
  );

  const v = await benchValidator();
  const perCoreOk = v.validatorEventsPerSec >= TARGETS.validatorEventsPerSecPerCore;
  const ratioOk = v.ratio >= TARGETS.validatorRatioToBare;
  console.log('\nvalidator core, gzip NDJSON requests (the SDK path)');
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
  if (check && !(perCoreOk && ratioOk)) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
