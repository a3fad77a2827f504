import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ValidatorDeps } from './core.js';

/** The real clock, randomness and timers the core is given outside tests: Lambda and `npm start`. */
export const SYSTEM_RUNTIME: Pick<ValidatorDeps, 'now' | 'newId' | 'sleep' | 'random'> = {
  now: Date.now,
  // 128 random bits: request ids.
  newId: () => randomBytes(16).toString('hex'),
  sleep: (ms) => sleep(ms),
  random: Math.random,
};
