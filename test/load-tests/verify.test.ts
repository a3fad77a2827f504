import { describe, expect, it } from 'vitest';
import { judgeDelivery } from '../../load-tests/verify.js';

describe('judgeDelivery', () => {
  it.each([
    {
      case: 'every acknowledged event stored once',
      sent: [
        { acknowledged: 100, inDoubt: 0 },
        { acknowledged: 50, inDoubt: 0 },
      ],
      stored: [
        { calls: 100, distinctCalls: 100 },
        { calls: 50, distinctCalls: 50 },
      ],
      expected: { lost: 0, lostAtMost: 0, duplicated: 0, unexpected: 0, ok: true },
    },
    {
      case: 'fails on a lost event',
      sent: [{ acknowledged: 100, inDoubt: 0 }],
      stored: [{ calls: 99, distinctCalls: 99 }],
      expected: { lost: 1, lostAtMost: 1, duplicated: 0, unexpected: 0, ok: false },
    },
    {
      case: 'fails on a duplicated event',
      sent: [{ acknowledged: 100, inDoubt: 0 }],
      stored: [{ calls: 101, distinctCalls: 100 }],
      expected: { lost: 0, lostAtMost: 0, duplicated: 1, unexpected: 0, ok: false },
    },
    {
      case: 'fails on an event stored though it was refused',
      sent: [{ acknowledged: 100, inDoubt: 0 }],
      stored: [{ calls: 101, distinctCalls: 101 }],
      expected: { lost: 0, lostAtMost: 0, duplicated: 0, unexpected: 1, ok: false },
    },
    {
      case: 'accepts in-doubt events stored or not',
      sent: [{ acknowledged: 100, inDoubt: 5 }],
      stored: [{ calls: 105, distinctCalls: 105 }],
      expected: { lost: 0, lostAtMost: 0, duplicated: 0, unexpected: 0, ok: true },
    },
    {
      case: 'fails when in-doubt events could hide a loss',
      sent: [{ acknowledged: 100, inDoubt: 5 }],
      stored: [{ calls: 102, distinctCalls: 102 }],
      expected: { lost: 0, lostAtMost: 3, duplicated: 0, unexpected: 0, ok: false },
    },
    {
      case: 'does not let one project’s surplus cover another’s loss',
      sent: [
        { acknowledged: 10, inDoubt: 0 },
        { acknowledged: 10, inDoubt: 0 },
      ],
      stored: [
        { calls: 11, distinctCalls: 11 },
        { calls: 9, distinctCalls: 9 },
      ],
      expected: { lost: 1, duplicated: 0, unexpected: 1, ok: false },
    },
  ])('$case', ({ sent, stored, expected }) => {
    expect(judgeDelivery(sent, stored)).toMatchObject(expected);
  });

  it('fails when the counts do not line up with the projects', () => {
    expect(() => judgeDelivery([{ acknowledged: 1, inDoubt: 0 }], [])).toThrow(
      /1 projects were sent to but 0/,
    );
  });
});
