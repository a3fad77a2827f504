import { z } from 'zod';
import { describeZodIssues, type ZodIssueWording } from '../zod-issues.js';
import { describePath } from './json-text.js';
import { normaliseMetadata } from './metadata.js';

/**
 * The event contract shared by the ingest validator, the SDK and every consumer of the stream.
 *
 * One LLM call is one event. The schema both validates what a client sends and normalises it:
 * ids become lowercase hex without dashes, timestamps become ISO-8601 UTC with milliseconds,
 * optional fields get their defaults, so consumers see one shape.
 */

/** Per-field limits; documented in the README's event contract. */
export const EVENT_LIMITS = {
  modelMaxChars: 128,
  nameMaxChars: 256,
  userIdMaxChars: 256,
  sessionIdMaxChars: 256,
  errorMessageMaxChars: 8_192,
  /** Prompt and response each, in UTF-16 code units (JavaScript string length). */
  textMaxChars: 262_144,
  tagsMaxCount: 32,
  tagMaxChars: 64,
  metadataMaxBytes: 16_384,
  /** The metadata object itself is depth 1. */
  metadataMaxDepth: 5,
  tokensMax: 100_000_000,
  latencyMsMax: 86_400_000,
  costCentsMax: 1_000_000_000,
  /** Epoch milliseconds before 2000-01-01 are rejected: they are almost always epoch seconds. */
  timestampMinMs: 946_684_800_000,
} as const;

/** ISO-8601 date-time with an explicit offset; fractions beyond milliseconds are truncated. */
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Epoch ms of an ISO-8601 timestamp, or NaN. Date.parse alone would roll 2026-02-30 over to March. */
function parseIsoTimestamp(value: string): number {
  const m = ISO_TIMESTAMP.exec(value);
  if (!m) return Number.NaN;
  // The regex has eight groups; only the two offset groups may be absent (for "Z").
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = m
    .slice(1, 9)
    .map((part) => Number(part ?? 0)) as [number, number, number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59;
  return valid ? Date.parse(value) : Number.NaN;
}
export const PROJECT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function normaliseId(value: string): string {
  return value.length === 36 ? value.replaceAll('-', '').toLowerCase() : value.toLowerCase();
}

const TRACE_ID =
  /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;
const SPAN_ID =
  /^(?:[0-9a-fA-F]{16}|[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;
const ALL_ZERO_ID = /^[0-]+$/;

/** Checks and normalisation in place (`overwrite`), not a transform: ids are on every event's hot path. */
const id = (pattern: RegExp, message: string) =>
  z
    .string()
    .regex(pattern, { error: message })
    .refine((v) => !ALL_ZERO_ID.test(v), { error: 'must not be all zeros' })
    .overwrite(normaliseId);

const traceId = id(TRACE_ID, 'must be 32 hex characters (W3C trace id) or a UUID');
const spanId = id(SPAN_ID, 'must be 16 hex characters (W3C span id), 32 hex characters or a UUID');

const timestamp = z
  .union([z.string(), z.number()], { error: 'must be an ISO-8601 string or epoch milliseconds' })
  .transform((v, ctx) => {
    let ms: number;
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < EVENT_LIMITS.timestampMinMs) {
        ctx.addIssue({
          code: 'custom',
          message: `must be whole epoch milliseconds after 2000-01-01 (got ${v}; epoch seconds are not accepted)`,
        });
        return z.NEVER;
      }
      ms = v;
    } else {
      ms = parseIsoTimestamp(v);
      if (Number.isNaN(ms)) {
        ctx.addIssue({
          code: 'custom',
          message: `must be ISO-8601 with a time zone, like 2026-01-31T12:00:00.000Z (got ${JSON.stringify(v.slice(0, 40))})`,
        });
        return z.NEVER;
      }
    }
    return new Date(ms).toISOString();
  });

/**
 * Lone UTF-16 surrogates (a `\ud800` escape, or text cut in the middle of an emoji) are not
 * Unicode, and the store refuses them: they become U+FFFD, as a UTF-8 encoder writes them.
 */
const wellFormed = (value: string): string => (value.isWellFormed() ? value : value.toWellFormed());

const boundedText = (max: number) => z.string().max(max, { error: `must be at most ${max} characters` });

/** Prompt and response: a string, or any JSON value (chat messages, say) stored as its JSON text. */
/** JSON text of a value, or `undefined` when it has none (a cycle, a BigInt, a throwing getter). */
function jsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

const llmText = z.unknown().transform((v, ctx) => {
  const text = typeof v === 'string' ? wellFormed(v) : v === undefined || v === null ? '' : jsonText(v);
  if (text === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a string or a JSON value' });
    return z.NEVER;
  }
  if (text.length > EVENT_LIMITS.textMaxChars) {
    ctx.addIssue({
      code: 'custom',
      message: `must be at most ${EVENT_LIMITS.textMaxChars} characters (got ${text.length})`,
    });
    return z.NEVER;
  }
  return text;
});

/** -0 is 0: the store keeps no sign on zero, and JSON.stringify writes none. */
const positiveZero = (value: number): number => value + 0;

const count = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must not be negative' })
  .max(EVENT_LIMITS.tokensMax, { error: `must be at most ${EVENT_LIMITS.tokensMax}` });

function jsonDepth(value: unknown, limit: number, depth = 1): number {
  if (depth > limit) return depth;
  let deepest = depth;
  const children = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  for (const child of children) {
    if (child !== null && typeof child === 'object') {
      deepest = Math.max(deepest, jsonDepth(child, limit, depth + 1));
      if (deepest > limit) break;
    }
  }
  return deepest;
}

/** Metadata objects the normaliser rewrote: their client text is not what the store keeps. */
const rewrittenMetadata = new WeakSet<object>();

const metadata = z
  .custom<Record<string, unknown>>((v) => v !== null && typeof v === 'object' && !Array.isArray(v), {
    error: 'must be a JSON object',
  })
  .transform((value, ctx) => {
    const tooDeep = () =>
      ctx.addIssue({
        code: 'custom',
        message: `must be nested at most ${EVENT_LIMITS.metadataMaxDepth} levels deep (a key with dots counts a level per dot)`,
      });
    // Checked before normalising as well, so that a cycle in an object built in code ends here.
    if (jsonDepth(value, EVENT_LIMITS.metadataMaxDepth) > EVENT_LIMITS.metadataMaxDepth) {
      tooDeep();
      return z.NEVER;
    }
    const result = normaliseMetadata(value);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', path: [...result.path], message: result.message });
      return z.NEVER;
    }
    if (
      result.changed &&
      jsonDepth(result.value, EVENT_LIMITS.metadataMaxDepth) > EVENT_LIMITS.metadataMaxDepth
    ) {
      tooDeep();
      return z.NEVER;
    }
    const text = jsonText(result.value);
    if (text === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a JSON object (no cycles, BigInt or throwing getters)',
      });
      return z.NEVER;
    }
    const bytes = Buffer.byteLength(text);
    if (bytes > EVENT_LIMITS.metadataMaxBytes) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at most ${EVENT_LIMITS.metadataMaxBytes} bytes as JSON (got ${bytes})`,
      });
      return z.NEVER;
    }
    if (result.changed) rewrittenMetadata.add(result.value);
    return result.value;
  });

/**
 * One LLM call as a client sends it. Unknown fields are rejected so that a misspelt field
 * (`latency` for `latency_ms`) is reported instead of silently lost; free-form data goes in
 * `metadata`.
 */
export const EventSchema = z
  .strictObject({
    trace_id: traceId,
    span_id: spanId,
    // OpenTelemetry writes a root span's parent as empty; so may a client, and so does canonicalLine.
    parent_span_id: z.union([z.literal(''), spanId]).nullish(),
    timestamp,
    project_id: z
      .string()
      .regex(PROJECT_ID_PATTERN, { error: 'must be 1-64 letters, digits, ".", "_" or "-"' })
      .optional(),
    name: boundedText(EVENT_LIMITS.nameMaxChars).optional(),
    model: z
      .string({ error: 'must be a string: the model name, like "gpt-4o-mini"' })
      .min(1, { error: 'must not be empty' })
      .max(EVENT_LIMITS.modelMaxChars, { error: `must be at most ${EVENT_LIMITS.modelMaxChars} characters` }),
    input_tokens: count.optional(),
    output_tokens: count.optional(),
    tokens_used: count.optional(),
    latency_ms: z
      .number({ error: 'must be a number: the call duration in milliseconds' })
      .min(0, { error: 'must not be negative' })
      .max(EVENT_LIMITS.latencyMsMax, { error: `must be at most ${EVENT_LIMITS.latencyMsMax} (24 hours)` }),
    cost_cents: z
      .number({ error: 'must be a number' })
      .min(0, { error: 'must not be negative' })
      .max(EVENT_LIMITS.costCentsMax, { error: `must be at most ${EVENT_LIMITS.costCentsMax}` })
      .optional(),
    status: z.enum(['ok', 'error'], { error: 'must be "ok" or "error"' }).optional(),
    error_message: boundedText(EVENT_LIMITS.errorMessageMaxChars).optional(),
    user_id: boundedText(EVENT_LIMITS.userIdMaxChars).optional(),
    session_id: boundedText(EVENT_LIMITS.sessionIdMaxChars).optional(),
    tags: z
      .array(
        z
          .string({ error: 'must be a string' })
          .min(1, { error: 'must not be empty' })
          .max(EVENT_LIMITS.tagMaxChars, { error: `must be at most ${EVENT_LIMITS.tagMaxChars} characters` }),
        { error: 'must be an array of strings' },
      )
      .max(EVENT_LIMITS.tagsMaxCount, { error: `must have at most ${EVENT_LIMITS.tagsMaxCount} tags` })
      .optional(),
    metadata: metadata.optional(),
    prompt: llmText.optional(),
    response: llmText.optional(),
  })
  .superRefine((e, ctx) => {
    const parts = (e.input_tokens ?? 0) + (e.output_tokens ?? 0);
    if (e.tokens_used !== undefined && e.tokens_used < parts) {
      ctx.addIssue({
        code: 'custom',
        path: ['tokens_used'],
        message: `must be at least input_tokens + output_tokens (${parts})`,
      });
    }
    if (e.error_message && e.status !== 'error') {
      ctx.addIssue({
        code: 'custom',
        path: ['error_message'],
        message: 'is set but status is not "error"; send status "error" with it',
      });
    }
  })
  // Text made whole (see wellFormed) and zeros without a sign (positiveZero) here, in plain code:
  // as zod steps on every field they would cost the hot path several percent.
  .transform((e) => ({
    trace_id: e.trace_id,
    span_id: e.span_id,
    parent_span_id: e.parent_span_id ?? '',
    timestamp: e.timestamp,
    project_id: e.project_id,
    name: wellFormed(e.name ?? ''),
    model: wellFormed(e.model),
    input_tokens: positiveZero(e.input_tokens ?? 0),
    output_tokens: positiveZero(e.output_tokens ?? 0),
    tokens_used: positiveZero(e.tokens_used ?? (e.input_tokens ?? 0) + (e.output_tokens ?? 0)),
    latency_ms: positiveZero(e.latency_ms),
    cost_cents: positiveZero(e.cost_cents ?? 0),
    status: e.status ?? 'ok',
    error_message: wellFormed(e.error_message ?? ''),
    user_id: wellFormed(e.user_id ?? ''),
    session_id: wellFormed(e.session_id ?? ''),
    tags: e.tags ? [...new Set(e.tags.map(wellFormed))] : [],
    metadata: e.metadata ?? ({} as Record<string, unknown>),
    prompt: e.prompt ?? '',
    response: e.response ?? '',
  }));

/** What a client may send. */
export type EventInput = z.input<typeof EventSchema>;

/** An event after validation: every field present, `project_id` set from the API key. */
export type NormalizedEvent = Omit<z.output<typeof EventSchema>, 'project_id'> & { project_id: string };

export type EventCheck =
  | {
      ok: true;
      event: NormalizedEvent;
      /**
       * Whether the store reads the client's own JSON (in the canonical text form `JSON.stringify`
       * writes) as exactly this event, so the client's line may be forwarded as sent: no string
       * needed repair, prompt and response are text, and metadata is already in the store's model.
       * Otherwise `canonicalLine(event)` is what must be forwarded.
       */
      verbatim: boolean;
    }
  | {
      ok: false;
      /** `project_mismatch` when the event names a project other than the API key's. */
      code: 'invalid_event' | 'project_mismatch';
      reason: string;
    };

const TEXT_FIELDS = [
  'name',
  'model',
  'error_message',
  'user_id',
  'session_id',
  'prompt',
  'response',
] as const;

function readVerbatim(raw: Record<string, unknown>, event: NormalizedEvent): boolean {
  if (rewrittenMetadata.has(event.metadata)) return false;
  // Text made whole is another string; text already whole is the client's own (see wellFormed).
  // Prompt and response that are not text become their JSON text, which differs from the value.
  for (const field of TEXT_FIELDS) {
    const value = raw[field];
    if (value !== undefined && value !== null && value !== event[field]) return false;
  }
  if (Array.isArray(raw.tags) && !raw.tags.every((t) => typeof t === 'string' && t.isWellFormed()))
    return false;
  return !Object.is(raw.latency_ms, -0) && !Object.is(raw.cost_cents, -0);
}

/**
 * The line forwarded for an event whose client text cannot be: the normalised event as
 * `JSON.stringify` writes it, without `project_id` (the stream record's header names the project).
 */
export function canonicalLine(event: NormalizedEvent): string {
  const { project_id: _, ...rest } = event;
  return JSON.stringify(rest);
}

/**
 * How a rejected event's reason names what is wrong: fields as the contract's messages name them
 * (`metadata.a.b`, `tags[2]`), a missing field as required, at most three problems.
 */
const EVENT_ISSUE_WORDING: ZodIssueWording = {
  formatPath: describePath,
  unknownKeysHint: 'put free-form data in metadata',
  maxIssues: 3,
};

/**
 * A reason a person can act on, for an event that fails the contract's schema: the fields at
 * fault and what each must be, unknown fields first. `raw` is the event as sent: a field it lacks
 * reads as required. The validator and the SDK word a rejected event alike.
 */
export function describeIssues(error: z.ZodError, raw?: unknown): string {
  return describeZodIssues(error, { ...EVENT_ISSUE_WORDING, input: raw });
}

/**
 * Validate and normalise one event for the project that the API key belongs to.
 * An event naming another project is rejected; an event naming none is given the key's.
 */
export function checkEvent(raw: unknown, projectId: string): EventCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, code: 'invalid_event', reason: 'event must be a JSON object' };
  }
  let parsed: ReturnType<typeof EventSchema.safeParse>;
  try {
    parsed = EventSchema.safeParse(raw);
  } catch (error) {
    // Only objects built in code get here (a getter that throws): parsed JSON cannot.
    return {
      ok: false,
      code: 'invalid_event',
      reason: `event could not be read: ${(error as Error).message}`,
    };
  }
  if (!parsed.success) {
    return { ok: false, code: 'invalid_event', reason: describeIssues(parsed.error, raw) };
  }
  const event = parsed.data;
  if (event.project_id !== undefined && event.project_id !== projectId) {
    return {
      ok: false,
      code: 'project_mismatch',
      reason: `project_id "${event.project_id}" is not the API key's project "${projectId}"; use a key of that project or omit project_id`,
    };
  }
  const normalised = { ...event, project_id: projectId };
  return { ok: true, event: normalised, verbatim: readVerbatim(raw as Record<string, unknown>, normalised) };
}
