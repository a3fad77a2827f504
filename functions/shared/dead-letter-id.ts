import { createHash } from 'node:crypto';

/**
 * A dead letter's id: the SHA-256 (hex) of its stored fields (failed_at in epoch milliseconds,
 * source, reason, line, data_base64), each after its length in bytes, so that no two letters'
 * fields run together into the same text. `load_dead_letters` has no id column and a letter is
 * never updated, so its fields name it. The redrive (functions/replay/redrive.ts) marks letters by
 * it in `load_dead_letter_redrives`, and the query API (functions/query/queries.ts) leaves the
 * marked ones out of its list. The SQL and the TypeScript forms are held equal by a test.
 */

/** The id over a `load_dead_letters` row, in ClickHouse. */
export const DEAD_LETTER_ID_SQL = `lower(hex(SHA256(concat(
    toString(toUnixTimestamp64Milli(failed_at)),
    '|', toString(length(source)), ':', source,
    '|', toString(length(reason)), ':', reason,
    '|', toString(length(line)), ':', line,
    '|', toString(length(data_base64)), ':', data_base64))))`;

/** A letter's stored fields, as its id hashes them. */
export interface DeadLetterFields {
  /** `failed_at` in epoch milliseconds. */
  readonly failedAtMs: number;
  readonly source: string;
  readonly reason: string;
  readonly line: string;
  readonly data_base64: string;
}

/** The id in TypeScript, as `DEAD_LETTER_ID_SQL` computes it. */
export function deadLetterId(letter: DeadLetterFields): string {
  const field = (text: string) => `|${Buffer.byteLength(text)}:${text}`;
  return createHash('sha256')
    .update(
      `${letter.failedAtMs}${field(letter.source)}${field(letter.reason)}${field(letter.line)}${field(letter.data_base64)}`,
    )
    .digest('hex');
}
