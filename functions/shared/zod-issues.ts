import type { z } from 'zod';

/** How {@link describeZodIssues} words a failed parse. Every field is optional. */
export interface ZodIssueWording {
  /**
   * The value that was parsed. When given, an issue at a path that holds nothing there reads
   * `<path>: is required` instead of the schema's type message.
   * @default - no `is required` wording
   */
  readonly input?: unknown;
  /**
   * Writes an issue's path as the reader knows the field.
   * @default - the parts joined with `.` (`keys.0.key_id`)
   */
  readonly formatPath?: (path: readonly PropertyKey[]) => string;
  /**
   * Names the whole value for an issue at the empty path (`file: must be an object`).
   * @default - the message alone
   */
  readonly emptyPathLabel?: string;
  /**
   * Added in parentheses after an unknown-field issue, to say where such data belongs.
   * @default - no hint
   */
  readonly unknownKeysHint?: string;
  /**
   * At most this many issues are written; the rest are counted (`; and 2 more`).
   * @default - all of them
   */
  readonly maxIssues?: number;
}

const joinPath = (path: readonly PropertyKey[]): string => path.map(String).join('.');

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * A reason a person can act on: the fields at fault and what each must be, `; `-separated.
 * Unknown fields come first, since a misspelt field is usually why a required one is missing.
 * The one wording of a failed zod parse for every function and local command.
 */
export function describeZodIssues(error: z.ZodError, wording: ZodIssueWording = {}): string {
  const { input, formatPath = joinPath, emptyPathLabel, unknownKeysHint, maxIssues = Infinity } = wording;
  const issues = [...error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const parts = issues.slice(0, maxIssues).map((issue) => {
    const path = issue.path.length > 0 ? formatPath(issue.path) : (emptyPathLabel ?? '');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      const hint = unknownKeysHint === undefined ? '' : ` (${unknownKeysHint})`;
      // A nested object names where the field is; at the top the field's name says it all.
      const where = issue.path.length > 0 ? `${path}: ` : '';
      return `${where}unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}${hint}`;
    }
    if (path === '') return issue.message;
    if (input !== undefined && issue.path.length > 0 && valueAt(input, issue.path) === undefined) {
      return `${path}: is required`;
    }
    return `${path}: ${issue.message}`;
  });
  const more = issues.length - parts.length;
  return more > 0 ? `${parts.join('; ')}; and ${more} more` : parts.join('; ');
}
