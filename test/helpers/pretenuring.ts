import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/**
 * V8's pretenuring decisions (its `--trace-pretenuring-statistics` lines, on stdout) in a Node
 * process of its own, made while objects of one literal outlive young collections in batches
 * dropped together (what makes V8 allocate a literal's objects in the old generation), after
 * `setup` ran. Only decisions after the setup count: loading modules makes decisions of its own
 * before any of them can set a flag. `nodeArgs` go before the script (`--import tsx` for
 * TypeScript modules).
 */
export function pretenuringDecisions(
  setup: string,
  options: { readonly cwd: string; readonly nodeArgs?: readonly string[]; readonly env?: NodeJS.ProcessEnv },
): string[] {
  const script = `
    ${setup}
    process.stdout.write('\\nSETUP DONE\\n');
    let batch = [];
    for (let i = 0; i < 2_000_000; i++) {
      batch.push({ i, text: 'span ' + i });
      if (batch.length > 50_000) batch = [];
    }
    process.stdout.write('\\nDONE ' + batch.length + '\\n');
  `;
  const run = spawnSync(
    process.execPath,
    ['--trace-pretenuring-statistics', ...(options.nodeArgs ?? []), '--input-type=module', '-e', script],
    { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', timeout: 60_000 },
  );
  expect(run.stdout, run.stderr).toMatch(/\nSETUP DONE\n[\s\S]*\nDONE \d+\n/);
  return run.stdout
    .slice(run.stdout.indexOf('\nSETUP DONE\n'))
    .split('\n')
    .filter((line) => /pretenuring: AllocationSite/.test(line));
}
