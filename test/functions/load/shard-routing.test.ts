import type { ClickHouseClient } from '@clickhouse/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cityHash64, shardOf } from '../../../functions/shared/load/shard-routing.js';
import { embeddedClickHouse, rows } from '../../helpers/clickhouse.js';

let engine: { client: ClickHouseClient; close(): Promise<void> };
beforeAll(async () => {
  engine = await embeddedClickHouse();
});
afterAll(() => engine.close());

/** The engine's own answers for `cityHash64(x)` and `cityHash64(x) % shards`, in one query. */
async function engineAnswers(ids: readonly string[], shards: number) {
  const [row] = await rows<{ hashes: string[]; shards: number[] }>(
    engine.client,
    'SELECT arrayMap(x -> toString(cityHash64(x)), {ids:Array(String)}) AS hashes, arrayMap(x -> toUInt32(cityHash64(x) % {n:UInt32}), {ids:Array(String)}) AS shards',
    { ids, n: shards },
  );
  return row ?? { hashes: [], shards: [] };
}

const projectId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

describe('shardOf', () => {
  it('picks the shard the engine picks for random project ids (CityHash64 v1.0.2, % shards)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(projectId, { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 12 }),
        async (ids, shards) => {
          const answers = await engineAnswers(ids, shards);
          expect(ids.map((id) => shardOf(id, shards))).toEqual(answers.shards.map(Number));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('hashes any string as the engine does, through every length branch (0–16, 17–32, 33–64, longer, UTF-8)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { minLength: 1, maxLength: 40 }),
        async (ids) => {
          const answers = await engineAnswers(ids, 1);
          expect(ids.map((id) => cityHash64(id).toString())).toEqual(answers.hashes);
        },
      ),
      { numRuns: 40 },
    );
  });

  it.each([0, -1, 1.5])('rejects %s shards', (shards) => {
    expect(() => shardOf('p', shards)).toThrow(/positive integer/);
  });
});
