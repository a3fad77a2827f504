/**
 * What a refused insert means, from ClickHouse's error code (`src/Common/ErrorCodes.cpp`):
 *
 * - `data`: the engine could not read or keep some row (a parse error, a value out of a column's
 *   range, a constraint). Sending the same rows again gives the same answer, so the loader
 *   isolates the rows refused, sets them aside as dead letters and loads the rest.
 * - `unavailable`: the engine, the network or the schema is not in a state to take any insert
 *   (connection refused, timeouts, memory, too many parts, read-only replicas, Keeper, missing
 *   tables or grants). Nothing is wrong with the rows: the batch is retried, as before.
 * - `unknown`: any other code. The loader isolates the rows as for data, but sets a row aside
 *   only when others of the same batch went in, which proves the refusal is about that row;
 *   if nothing went in, the batch is retried.
 */
export type EngineErrorKind = 'data' | 'unavailable' | 'unknown';

/** Codes that name a row's content. */
export const DATA_ERROR_CODES: ReadonlySet<number> = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  32, // ATTEMPT_TO_READ_AFTER_EOF
  33, // CANNOT_READ_ALL_DATA
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  43, // ILLEGAL_TYPE_OF_ARGUMENT
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  128, // TOO_LARGE_ARRAY_SIZE
  131, // TOO_LARGE_STRING_SIZE
  190, // SIZES_OF_ARRAYS_DONT_MATCH
  306, // TOO_DEEP_RECURSION
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  395, // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
  407, // DECIMAL_OVERFLOW
  469, // VIOLATED_CONSTRAINT
  691, // UNKNOWN_ELEMENT_OF_ENUM
]);

/** Codes that say the engine cannot take an insert now, whatever its rows. */
export const UNAVAILABLE_ERROR_CODES: ReadonlySet<number> = new Set([
  3, // UNEXPECTED_END_OF_FILE (a connection cut mid-answer)
  48, // NOT_IMPLEMENTED (the statement's settings: asynchronous inserts with a sequential quorum)
  16, // NO_SUCH_COLUMN_IN_TABLE (a migration not yet applied)
  47, // UNKNOWN_IDENTIFIER
  60, // UNKNOWN_TABLE
  62, // SYNTAX_ERROR (the statement, not the rows)
  81, // UNKNOWN_DATABASE
  115, // UNKNOWN_SETTING
  159, // TIMEOUT_EXCEEDED
  160, // TOO_SLOW
  164, // READONLY
  173, // CANNOT_ALLOCATE_MEMORY
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  236, // ABORTED
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  279, // ALL_CONNECTION_TRIES_FAILED
  285, // TOO_FEW_LIVE_REPLICAS
  286, // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
  319, // UNKNOWN_STATUS_OF_INSERT
  344, // SUPPORT_IS_DISABLED (the statement's settings: async inserts with view deduplication before 25.x)
  394, // QUERY_WAS_CANCELLED
  425, // SYSTEM_ERROR
  439, // CANNOT_SCHEDULE_TASK
  497, // ACCESS_DENIED
  516, // AUTHENTICATION_FAILED
  999, // KEEPER_EXCEPTION
]);

/** The engine's numeric error code, or undefined (a network error, a timeout in the client). */
export function engineErrorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const value = typeof code === 'number' ? code : typeof code === 'string' ? Number(code) : Number.NaN;
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

export function classifyEngineError(error: unknown): EngineErrorKind {
  const code = engineErrorCode(error);
  // No code: the client never got an answer (refused, reset, timed out).
  if (code === undefined) return 'unavailable';
  if (DATA_ERROR_CODES.has(code)) return 'data';
  if (UNAVAILABLE_ERROR_CODES.has(code)) return 'unavailable';
  return 'unknown';
}
