import { randomBytes } from 'node:crypto';

const ALL_ZERO = /^0+$/;

function randomHex(bytes: number): string {
  // The W3C trace context forbids the all-zero id; 2^-64 odds, but cheap to rule out.
  for (;;) {
    const id = randomBytes(bytes).toString('hex');
    if (!ALL_ZERO.test(id)) return id;
  }
}

/** A random W3C trace id: 32 lowercase hex characters. */
export function newTraceId(): string {
  return randomHex(16);
}

/** A random W3C span id: 16 lowercase hex characters. */
export function newSpanId(): string {
  return randomHex(8);
}
