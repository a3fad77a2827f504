import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Template } from 'aws-cdk-lib/assertions';
import { inject } from 'vitest';
import { synthesizeTierTemplate } from '../../lib/app.js';
import type { TemplateJson } from '../../lib/pricing/inventory.js';
import type { TierId } from '../../lib/tiers.js';

/**
 * Each tier's template as `cdk synth -c tier=N` writes it (lib/app.ts's synthesizeTierTemplate:
 * cdk-nag and the CloudFormation rules run and fail the synthesis, functions are not bundled),
 * synthesized once per test run and shared by every test file and worker: the first file to ask
 * for a tier builds it under a lock file, the others wait for the JSON and read it.
 */
const memo = new Map<TierId, Promise<TemplateJson>>();
const WAIT_LIMIT_MS = 300_000;

export function tierTemplateJson(tier: TierId): Promise<TemplateJson> {
  let template = memo.get(tier);
  if (template === undefined) {
    template = loadOrSynthesize(tier);
    memo.set(tier, template);
  }
  return template;
}

/** The same template behind the CDK assertions API. */
export async function tierTemplate(tier: TierId): Promise<Template> {
  return Template.fromJSON(await tierTemplateJson(tier));
}

async function loadOrSynthesize(tier: TierId): Promise<TemplateJson> {
  const dir = inject('tierTemplatesDir');
  const file = join(dir, `tier${tier}.json`);
  const lock = `${file}.lock`;
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as TemplateJson;
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (fd !== undefined) {
      try {
        const template = synthesizeTierTemplate(tier);
        writeFileSync(`${file}.${process.pid}`, JSON.stringify(template));
        renameSync(`${file}.${process.pid}`, file);
        return template;
      } finally {
        closeSync(fd);
        rmSync(lock, { force: true });
      }
    }
    if (Date.now() > deadline) throw new Error(`tier ${tier}'s template did not appear in ${dir} in time`);
    await sleep(100);
  }
}
