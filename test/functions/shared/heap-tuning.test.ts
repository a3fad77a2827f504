import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyHeapTuning, HEAP_TUNING_FLAGS } from '../../../functions/shared/heap-tuning.js';
import { pretenuringDecisions } from '../../helpers/pretenuring.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const TYPESCRIPT = { cwd: ROOT, nodeArgs: ['--import', 'tsx'] };
const importing = (path: string) =>
  `await import(${JSON.stringify(pathToFileURL(resolve(ROOT, path)).href)})`;

describe('applyHeapTuning', () => {
  it('returns the flags, and a second call sets nothing new', () => {
    expect(applyHeapTuning()).toEqual(HEAP_TUNING_FLAGS);
    expect(applyHeapTuning()).toBe(HEAP_TUNING_FLAGS);
    expect(HEAP_TUNING_FLAGS).toContain('--no-allocation-site-pretenuring');
  });

  it('stops V8 from judging allocation sites long-lived, as it does without it', () => {
    // Without the tuning the literal is watched and judged: the test can tell the two apart.
    expect(pretenuringDecisions('', TYPESCRIPT).length).toBeGreaterThan(0);
    const tuned = pretenuringDecisions(
      `(${importing('functions/shared/heap-tuning.ts')}).applyHeapTuning();`,
      TYPESCRIPT,
    );
    expect(tuned).toEqual([]);
  });

  it.each(['validator', 'load'])('is applied by the %s handler module as it loads', (name) => {
    expect(pretenuringDecisions(`${importing(`functions/${name}/handler.ts`)};`, TYPESCRIPT)).toEqual([]);
  });
});
