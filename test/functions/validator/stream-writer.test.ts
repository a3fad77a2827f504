import { ProvisionedThroughputExceededException } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import {
  classifyPutError,
  type PutOutcome,
  type RetryPolicy,
  type StreamRecord,
  writeWithRetry,
} from '../../../functions/validator/stream-writer.js';

const POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

const OK: PutOutcome = { ok: true };
const THROTTLED: PutOutcome = {
  ok: false,
  code: 'throttled',
  message: 'ProvisionedThroughputExceededException: Rate exceeded',
};
const UNAVAILABLE: PutOutcome = { ok: false, code: 'unavailable', message: 'InternalFailure: boom' };

function records(count: number): StreamRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    data: Buffer.from(`record-${i}`),
    partitionKey: `pk-${i}`,
  }));
}

/** Names of the records passed to one put call, so calls compare as plain arrays. */
const names = (batch: readonly StreamRecord[]) => batch.map((r) => Buffer.from(r.data).toString());

/**
 * A put that answers from a script: one step per attempt, each a function from a record's name
 * to its outcome, or an error to throw for the whole call. Every call and every sleep is logged.
 */
function scripted(steps: readonly (((name: string) => PutOutcome) | Error)[]) {
  const calls: string[][] = [];
  const sleeps: number[] = [];
  const log: string[] = [];
  const put = async (batch: readonly StreamRecord[]) => {
    const step = steps[calls.length] ?? steps[steps.length - 1];
    calls.push(names(batch));
    log.push('put');
    if (step === undefined) throw new Error('script has no steps');
    if (step instanceof Error) throw step;
    return names(batch).map(step);
  };
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    log.push('sleep');
  };
  return { put, calls, sleeps, log, sleep };
}

const failing =
  (outcome: PutOutcome, ...failed: string[]) =>
  (name: string) =>
    failed.includes(name) ? outcome : OK;

describe('writeWithRetry', () => {
  it('makes one call and never sleeps when the first attempt succeeds', async () => {
    const script = scripted([() => OK]);
    let randomCalls = 0;

    const outcomes = await writeWithRetry(records(3), script.put, POLICY, {
      sleep: script.sleep,
      random: () => {
        randomCalls++;
        return 0.5;
      },
    });

    expect(outcomes).toEqual([OK, OK, OK]);
    expect(script.calls).toEqual([['record-0', 'record-1', 'record-2']]);
    expect(script.sleeps).toEqual([]);
    expect(randomCalls).toBe(0);
  });

  it('retries exactly the records that failed, each attempt after a sleep', async () => {
    const script = scripted([
      failing(THROTTLED, 'record-1', 'record-3'),
      failing(THROTTLED, 'record-3'),
      () => OK,
    ]);

    const outcomes = await writeWithRetry(records(4), script.put, POLICY, {
      sleep: script.sleep,
      random: () => 0.5,
    });

    expect(script.calls).toEqual([
      ['record-0', 'record-1', 'record-2', 'record-3'],
      ['record-1', 'record-3'],
      ['record-3'],
    ]);
    expect(script.log).toEqual(['put', 'sleep', 'put', 'sleep', 'put']);
    expect(outcomes).toEqual([OK, OK, OK, OK]);
  });

  it('fails after maxAttempts, reporting the last outcome of each record still failing', async () => {
    const lastThrottle: PutOutcome = { ok: false, code: 'throttled', message: 'still throttled' };
    const script = scripted([
      failing(UNAVAILABLE, 'record-0', 'record-2'),
      failing(UNAVAILABLE, 'record-0', 'record-2'),
      failing(lastThrottle, 'record-2'),
      failing(lastThrottle, 'record-2'),
      () => OK,
    ]);

    const outcomes = await writeWithRetry(
      records(3),
      script.put,
      { ...POLICY, maxAttempts: 4 },
      { sleep: script.sleep, random: () => 0 },
    );

    expect(script.calls).toEqual([
      ['record-0', 'record-1', 'record-2'],
      ['record-0', 'record-2'],
      ['record-0', 'record-2'],
      ['record-2'],
    ]);
    // record-0 succeeded on the third attempt; record-2 keeps the outcome of the fourth.
    expect(outcomes).toEqual([OK, OK, lastThrottle]);
    expect(script.sleeps).toHaveLength(3);
  });

  it.each([
    [
      'a ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }),
      'throttled',
    ],
    ['a network error', Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }), 'unavailable'],
  ] as const)(
    'fails every record of a call that threw %s as %s, and retries them',
    async (_name, error, code) => {
      const script = scripted([error, failing(UNAVAILABLE, 'record-1'), () => OK]);

      const first = await writeWithRetry(
        records(2),
        script.put,
        { ...POLICY, maxAttempts: 1 },
        { sleep: script.sleep, random: () => 0.5 },
      );
      expect(first).toEqual([
        { ok: false, code, message: classifyPutError(error).message },
        { ok: false, code, message: classifyPutError(error).message },
      ]);

      const retried = scripted([error, failing(UNAVAILABLE, 'record-1'), () => OK]);
      const outcomes = await writeWithRetry(records(2), retried.put, POLICY, {
        sleep: retried.sleep,
        random: () => 0.5,
      });
      expect(retried.calls).toEqual([['record-0', 'record-1'], ['record-0', 'record-1'], ['record-1']]);
      expect(outcomes).toEqual([OK, OK]);
    },
  );

  it('fails a record the put gave no outcome for, and retries it', async () => {
    // A put that answers for fewer records than it was given, on its first call only.
    const calls: string[][] = [];
    const put = async (batch: readonly StreamRecord[]) => {
      calls.push(names(batch));
      return calls.length === 1 ? [OK] : batch.map(() => OK);
    };
    const deps = { sleep: async () => {}, random: () => 0 };

    const once = await writeWithRetry(records(2), put, { ...POLICY, maxAttempts: 1 }, deps);
    expect(once).toEqual([OK, { ok: false, code: 'unavailable', message: 'no result for record' }]);

    calls.length = 0;
    const outcomes = await writeWithRetry(records(2), put, POLICY, deps);
    expect(calls).toEqual([['record-0', 'record-1'], ['record-1']]);
    expect(outcomes).toEqual([OK, OK]);
  });

  it('writes nothing when there are no records', async () => {
    const script = scripted([() => OK]);

    const outcomes = await writeWithRetry([], script.put, POLICY, { sleep: script.sleep, random: () => 0.5 });

    expect(outcomes).toEqual([]);
    expect(script.calls).toEqual([]);
  });

  describe('backoff', () => {
    const alwaysThrottled = () => THROTTLED;

    it.each([
      // random, policy, the sleeps before attempts 2..n
      [0, { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 }, [0, 0, 0, 0, 0]],
      [0.5, { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 }, [50, 100, 200, 400, 500]],
      [0.999_999, { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 }, [99, 199, 399, 799, 999]],
      [0.25, { maxAttempts: 4, baseDelayMs: 40, maxDelayMs: 100 }, [10, 20, 25]],
      [0.5, { maxAttempts: 1, baseDelayMs: 100, maxDelayMs: 1_000 }, []],
    ])('with random() = %s and %o sleeps %o', async (random, policy, expected) => {
      const script = scripted([alwaysThrottled]);

      await writeWithRetry(records(1), script.put, policy, { sleep: script.sleep, random: () => random });

      expect(script.sleeps).toEqual(expected);
      expect(script.calls).toHaveLength(policy.maxAttempts);
    });

    it('draws a fresh random value for each sleep, within the capped exponential ceiling', async () => {
      const draws = [0.1, 0.9, 0.3, 0.7, 0.6, 0.2, 0.8];
      let next = 0;
      const policy: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 1_000 };
      const script = scripted([alwaysThrottled]);

      await writeWithRetry(records(1), script.put, policy, {
        sleep: script.sleep,
        random: () => draws[next++] ?? Number.NaN,
      });

      const ceilings = [100, 200, 400, 800, 1_000, 1_000, 1_000];
      expect(next).toBe(7);
      expect(script.sleeps).toEqual(ceilings.map((c, i) => Math.floor((draws[i] ?? 0) * c)));
      script.sleeps.forEach((ms, i) => {
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThan(ceilings[i] ?? 0);
      });
    });
  });
});

describe('classifyPutError', () => {
  it.each([
    [new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }), 'throttled'],
    [{ name: 'ThrottlingException', message: 'slow down' }, 'throttled'],
    [{ name: 'LimitExceededException', message: 'too many' }, 'throttled'],
    [{ name: 'TooManyRequestsException', message: 'too many' }, 'throttled'],
    [{ name: 'InternalFailure', message: 'Internal service failure.' }, 'unavailable'],
    [{ name: 'KMSThrottlingException', message: 'kms' }, 'throttled'],
    [new Error('socket hang up'), 'unavailable'],
    ['a string', 'unavailable'],
    [undefined, 'unavailable'],
  ])('classifies %o as %s', (error, code) => {
    expect(classifyPutError(error).code).toBe(code);
  });

  it('names the error in the message', () => {
    expect(classifyPutError({ name: 'InternalFailure', message: 'Internal service failure.' })).toEqual({
      code: 'unavailable',
      message: 'InternalFailure: Internal service failure.',
    });
    expect(classifyPutError(new Error('socket hang up')).message).toBe('Error: socket hang up');
  });
});

describe('permanent failures', () => {
  it.each([
    'ResourceNotFoundException',
    'AccessDeniedException',
    'InvalidArgumentException',
    'KMSDisabledException',
  ])('fails %s at once, without retrying: the deployment is wrong, not the moment', async (name) => {
    const calls: string[][] = [];
    const put = async (batch: readonly StreamRecord[]): Promise<PutOutcome[]> => {
      calls.push(names(batch));
      throw Object.assign(new Error('no such stream'), { name });
    };
    const sleeps: number[] = [];
    const outcomes = await writeWithRetry(records(2), put, POLICY, {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    });
    expect(calls).toEqual([['record-0', 'record-1']]);
    expect(sleeps).toEqual([]);
    expect(outcomes).toEqual(
      Array(2).fill({ ok: false, code: 'unavailable', message: `${name}: no such stream`, permanent: true }),
    );
  });
});
