import { describe, expect, it } from 'vitest';
import { InterruptibleSleep } from '../../cli/interruptible-sleep.js';

describe('InterruptibleSleep', () => {
  it('sleeps for the time asked when nothing wakes it', async () => {
    const started = performance.now();
    await new InterruptibleSleep().sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('ends every sleep in progress at once on wakeAll, and later sleeps still wait', async () => {
    const sleeper = new InterruptibleSleep();
    const started = performance.now();
    const woken = Promise.all([sleeper.sleep(60_000), sleeper.sleep(60_000)]);
    sleeper.wakeAll();
    await woken;
    expect(performance.now() - started).toBeLessThan(1_000);
    const later = performance.now();
    await sleeper.sleep(30);
    expect(performance.now() - later).toBeGreaterThanOrEqual(25);
  });
});
