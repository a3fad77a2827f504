import { describe, expect, it } from 'vitest';
import { type BillableResource, sizeNumber, sizeString } from '../../../lib/pricing/billable-resource.js';

const r: BillableResource = {
  type: 'AWS::Kinesis::Stream',
  logicalId: 'Stream',
  component: 'stream',
  size: { shardCount: 3, mode: 'provisioned', bad: -1, text: '4' },
};

describe("reading a resource's size", () => {
  it('reads numbers, with a fallback for a missing key only', () => {
    expect(sizeNumber(r, 'shardCount')).toBe(3);
    expect(sizeNumber(r, 'shardCount', 9)).toBe(3);
    expect(sizeNumber(r, 'retentionHours', 24)).toBe(24);
  });

  it.each([
    ['missing', 'retentionHours'],
    ['negative', 'bad'],
    ['text', 'text'],
  ])('rejects a %s number, naming the resource and the key', (_name, key) => {
    expect(() => sizeNumber(r, key)).toThrow(new RegExp(`AWS::Kinesis::Stream Stream: size\\.${key}`));
  });

  it('reads text, numbers as text, and nothing for a missing key', () => {
    expect(sizeString(r, 'mode')).toBe('provisioned');
    expect(sizeString(r, 'shardCount')).toBe('3');
    expect(sizeString(r, 'nothing')).toBeUndefined();
  });
});
