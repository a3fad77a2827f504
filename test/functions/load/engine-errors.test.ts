import { describe, expect, it } from 'vitest';
import { classifyEngineError } from '../../../functions/shared/load/engine-errors.js';

describe('classifyEngineError on the shard insert path', () => {
  it.each([
    ['NOT_IMPLEMENTED (async inserts with a sequential quorum)', '48'],
    ['TOO_FEW_LIVE_REPLICAS (a replica of the quorum is down)', '285'],
    ['UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE', '286'],
    ['UNKNOWN_STATUS_OF_INSERT (the quorum timed out)', '319'],
    ['SUPPORT_IS_DISABLED (async inserts with view deduplication, before 25.x)', '344'],
  ])('retries the batch, never splits it, on %s', (_, code) => {
    expect(classifyEngineError(Object.assign(new Error('x'), { code }))).toBe('unavailable');
  });
});
