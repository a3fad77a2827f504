import { describe, expect, it } from 'vitest';
import { fetchFailure } from '../../local/api-target.js';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const timeout = Object.assign(new Error('The operation was aborted due to timeout'), {
  name: 'TimeoutError',
});

describe('fetchFailure', () => {
  it.each([
    [
      'a refused connection, by its code',
      new TypeError('fetch failed', { cause: refused }),
      'failed (ECONNREFUSED)',
    ],
    [
      'a cause without a code, by its message',
      new TypeError('fetch failed', { cause: new Error('bad port') }),
      'failed (bad port)',
    ],
    ['an error without a cause, by its message', new Error('socket hang up'), 'failed (socket hang up)'],
    ['a timeout', timeout, 'timed out'],
    ['what is not an Error', 'boom', 'boom'],
  ])('names %s', (_, error, said) => {
    expect(fetchFailure(error)).toBe(said);
  });
});
