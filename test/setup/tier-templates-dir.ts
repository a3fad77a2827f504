import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where this run keeps each tier's synthesized template (test/helpers/tier-templates.ts). */
    tierTemplatesDir: string;
  }
}

/**
 * One directory per test run for the four tier templates: the first test file that needs a tier
 * synthesizes it (cdk-nag and the CloudFormation rules included) and every other file, in any
 * worker, reads it from here. Removed when the run ends.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'evalforge-tier-templates-'));
  project.provide('tierTemplatesDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
