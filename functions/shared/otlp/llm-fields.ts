import type { AttributeBag, AttributeValue } from './attributes.js';
import { attributeObject } from './attributes.js';
import type { OtlpSpanEvent } from './otlp-types.js';

/**
 * The LLM facts of a span, read from the attribute conventions instrumentations emit today:
 * OpenTelemetry's GenAI semantic conventions (current and deprecated names, attributes and
 * events), OpenLLMetry's indexed `gen_ai.prompt.N.*` and OpenInference's `llm.*`. Each field
 * names the attribute it came from, so a rejection can say which one was wrong.
 */
export interface LlmFields {
  model?: { value: string; from: string };
  inputTokens?: { value: number; from: string };
  outputTokens?: { value: number; from: string };
  totalTokens?: { value: number; from: string };
  costUsd?: { value: number; from: string };
  prompt?: { value: AttributeValue; from: string };
  response?: { value: AttributeValue; from: string };
  userId?: { value: string; from: string };
  sessionId?: { value: string; from: string };
  tags?: { value: string[]; from: string };
  /** Span events read into prompt or response: not repeated in metadata. */
  readonly usedEvents: Set<number>;
  readonly notes: string[];
}

/** First to last: the first present wins. */
export const MODEL_ATTRIBUTES = [
  'gen_ai.response.model',
  'gen_ai.request.model',
  'llm.model_name',
  'llm.response.model',
  'llm.request.model',
] as const;
export const INPUT_TOKEN_ATTRIBUTES = [
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.prompt_tokens',
  'llm.token_count.prompt',
  'llm.usage.prompt_tokens',
] as const;
export const OUTPUT_TOKEN_ATTRIBUTES = [
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.completion_tokens',
  'llm.token_count.completion',
  'llm.usage.completion_tokens',
] as const;
export const TOTAL_TOKEN_ATTRIBUTES = [
  'llm.usage.total_tokens',
  'gen_ai.usage.total_tokens',
  'llm.token_count.total',
] as const;
/** In US dollars. */
export const COST_ATTRIBUTES = ['llm.cost.total', 'gen_ai.usage.cost'] as const;
export const USER_ATTRIBUTES = ['user.id', 'enduser.id'] as const;
export const SESSION_ATTRIBUTES = ['session.id', 'gen_ai.conversation.id'] as const;

/** Text sources read into prompt and response; every one present is left out of metadata. */
const PROMPT_TEXT_ATTRIBUTES = [
  'gen_ai.input.messages',
  'gen_ai.prompt',
  'input.value',
  'traceloop.entity.input',
] as const;
const RESPONSE_TEXT_ATTRIBUTES = [
  'gen_ai.output.messages',
  'gen_ai.completion',
  'output.value',
  'traceloop.entity.output',
] as const;

const ROLE_EVENTS: Readonly<Record<string, string>> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};
/** Attributes of message events that say who sent them, not what they said. */
const EVENT_CONTEXT_ATTRIBUTES = new Set(['gen_ai.system', 'gen_ai.provider.name']);

export function readLlmFields(bag: AttributeBag, events: readonly OtlpSpanEvent[]): LlmFields {
  const fields: LlmFields = { usedEvents: new Set(), notes: [] };

  for (const key of MODEL_ATTRIBUTES) {
    const value = bag.peek(key);
    if (typeof value === 'string' && value.trim() !== '') {
      fields.model = { value: value.trim(), from: key };
      bag.take(key);
      break;
    }
  }
  fields.inputTokens = firstCount(bag, INPUT_TOKEN_ATTRIBUTES, fields.notes);
  fields.outputTokens = firstCount(bag, OUTPUT_TOKEN_ATTRIBUTES, fields.notes);
  fields.totalTokens = firstCount(bag, TOTAL_TOKEN_ATTRIBUTES, fields.notes);
  fields.costUsd = readCost(bag, fields.notes);
  fields.userId = firstText(bag, USER_ATTRIBUTES);
  fields.sessionId = firstText(bag, SESSION_ATTRIBUTES);
  const tags = bag.peek('tag.tags');
  if (Array.isArray(tags) && tags.every((t) => typeof t === 'string')) {
    fields.tags = { value: tags as string[], from: 'tag.tags' };
    bag.take('tag.tags');
  }

  fields.prompt = readPrompt(bag, events, fields.usedEvents);
  fields.response = readResponse(bag, events, fields.usedEvents);
  for (const key of [...PROMPT_TEXT_ATTRIBUTES, ...RESPONSE_TEXT_ATTRIBUTES]) bag.take(key);
  for (const prefix of [
    'gen_ai.prompt.',
    'gen_ai.completion.',
    'llm.input_messages.',
    'llm.output_messages.',
  ]) {
    for (const key of bag.keysWithPrefix(prefix)) bag.take(key);
  }
  return fields;
}

/** A token count: a whole number, or its decimal text (some instrumentations send strings). */
function countOf(value: AttributeValue | undefined): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function firstCount(bag: AttributeBag, keys: readonly string[], notes: string[]) {
  for (const key of keys) {
    if (!bag.has(key)) continue;
    const value = bag.peek(key);
    const n = countOf(value);
    if (n === undefined) {
      notes.push(`${key}: ${JSON.stringify(value)} is not a token count; not used`);
      continue;
    }
    bag.take(key);
    return { value: n, from: key };
  }
  return undefined;
}

function usdOf(value: AttributeValue | undefined): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

function readCost(bag: AttributeBag, notes: string[]) {
  for (const key of COST_ATTRIBUTES) {
    if (!bag.has(key)) continue;
    const usd = usdOf(bag.peek(key));
    if (usd === undefined) {
      notes.push(`${key}: ${JSON.stringify(bag.peek(key))} is not a cost in US dollars; not used`);
      continue;
    }
    bag.take(key);
    return { value: usd, from: key };
  }
  const prompt = usdOf(bag.peek('llm.cost.prompt'));
  const completion = usdOf(bag.peek('llm.cost.completion'));
  if (prompt !== undefined || completion !== undefined) {
    bag.take('llm.cost.prompt');
    bag.take('llm.cost.completion');
    return { value: (prompt ?? 0) + (completion ?? 0), from: 'llm.cost.prompt + llm.cost.completion' };
  }
  return undefined;
}

function firstText(bag: AttributeBag, keys: readonly string[]) {
  for (const key of keys) {
    const value = bag.peek(key);
    if (typeof value === 'string' && value !== '') {
      bag.take(key);
      return { value, from: key };
    }
    if (typeof value === 'number') {
      bag.take(key);
      return { value: String(value), from: key };
    }
  }
  return undefined;
}

/** JSON text of chat messages as sent (the conventions put JSON text in a string attribute). */
function messagesOf(value: AttributeValue | undefined): AttributeValue | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return value;
}

function readPrompt(bag: AttributeBag, events: readonly OtlpSpanEvent[], used: Set<number>) {
  const current = messagesOf(bag.peek('gen_ai.input.messages'));
  if (current !== undefined) {
    return { value: withSystemInstructions(bag, current), from: 'gen_ai.input.messages' };
  }
  const details = eventAttribute(
    events,
    'gen_ai.client.inference.operation.details',
    'gen_ai.input.messages',
    used,
  );
  if (details !== undefined)
    return { value: details, from: 'event gen_ai.client.inference.operation.details' };
  const messages: AttributeValue[] = [];
  events.forEach((event, i) => {
    const role = ROLE_EVENTS[event.name];
    if (role === undefined) return;
    used.add(i);
    const body = withoutContext(attributeObject(event.attributes));
    messages.push({ role, ...body });
  });
  if (messages.length) return { value: messages, from: 'events gen_ai.*.message' };
  const legacy = eventAttribute(events, 'gen_ai.content.prompt', 'gen_ai.prompt', used);
  if (legacy !== undefined) return { value: legacy, from: 'event gen_ai.content.prompt' };
  const openLlmetry = indexed(bag, 'gen_ai.prompt.', '');
  if (openLlmetry) return { value: openLlmetry, from: 'gen_ai.prompt.N.*' };
  const openInference = indexed(bag, 'llm.input_messages.', 'message.');
  if (openInference) return { value: openInference, from: 'llm.input_messages.N.message.*' };
  for (const key of ['gen_ai.prompt', 'input.value', 'traceloop.entity.input']) {
    const value = messagesOf(bag.peek(key));
    if (value !== undefined) return { value, from: key };
  }
  return undefined;
}

function readResponse(bag: AttributeBag, events: readonly OtlpSpanEvent[], used: Set<number>) {
  const current = messagesOf(bag.peek('gen_ai.output.messages'));
  if (current !== undefined) return { value: current, from: 'gen_ai.output.messages' };
  const details = eventAttribute(
    events,
    'gen_ai.client.inference.operation.details',
    'gen_ai.output.messages',
    used,
  );
  if (details !== undefined)
    return { value: details, from: 'event gen_ai.client.inference.operation.details' };
  const choices: AttributeValue[] = [];
  events.forEach((event, i) => {
    if (event.name !== 'gen_ai.choice') return;
    used.add(i);
    choices.push(withoutContext(attributeObject(event.attributes)));
  });
  if (choices.length) return { value: choices, from: 'events gen_ai.choice' };
  const legacy = eventAttribute(events, 'gen_ai.content.completion', 'gen_ai.completion', used);
  if (legacy !== undefined) return { value: legacy, from: 'event gen_ai.content.completion' };
  const openLlmetry = indexed(bag, 'gen_ai.completion.', '');
  if (openLlmetry) return { value: openLlmetry, from: 'gen_ai.completion.N.*' };
  const openInference = indexed(bag, 'llm.output_messages.', 'message.');
  if (openInference) return { value: openInference, from: 'llm.output_messages.N.message.*' };
  for (const key of ['gen_ai.completion', 'output.value', 'traceloop.entity.output']) {
    const value = messagesOf(bag.peek(key));
    if (value !== undefined) return { value, from: key };
  }
  return undefined;
}

/**
 * `gen_ai.system_instructions` as the first message (role `system`) when the input messages
 * are a list: the conventions keep instructions apart, a reader of the prompt wants them in it.
 */
function withSystemInstructions(bag: AttributeBag, messages: AttributeValue): AttributeValue {
  const instructions = bag.peek('gen_ai.system_instructions');
  if (instructions === undefined || instructions === null) return messages;
  let list: unknown = messages;
  if (typeof messages === 'string') {
    try {
      list = JSON.parse(messages);
    } catch {
      return messages;
    }
  }
  if (!Array.isArray(list)) return messages;
  let parts: unknown = instructions;
  if (typeof instructions === 'string') {
    try {
      parts = JSON.parse(instructions);
    } catch {
      parts = [{ type: 'text', content: instructions }];
    }
  }
  bag.take('gen_ai.system_instructions');
  return [{ role: 'system', parts }, ...list] as AttributeValue;
}

function eventAttribute(
  events: readonly OtlpSpanEvent[],
  eventName: string,
  key: string,
  used: Set<number>,
): AttributeValue | undefined {
  const i = events.findIndex((e) => e.name === eventName && e.attributes.some((a) => a.key === key));
  if (i < 0) return undefined;
  const value = messagesOf(attributeObject((events[i] as OtlpSpanEvent).attributes)[key]);
  if (value === undefined) return undefined;
  used.add(i);
  return value;
}

function withoutContext(attributes: Record<string, AttributeValue>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(attributes))
    if (!EVENT_CONTEXT_ATTRIBUTES.has(key)) out[key] = value;
  return out;
}

/**
 * Messages flattened into indexed attributes (`gen_ai.prompt.0.role`, `gen_ai.prompt.0.content`,
 * `llm.input_messages.1.message.tool_calls.0.tool_call.function.name`) as a list of objects,
 * nested where the key goes on, with numbered levels as lists.
 */
function indexed(bag: AttributeBag, prefix: string, strip: string): AttributeValue[] | undefined {
  const byIndex = new Map<number, Record<string, unknown>>();
  for (const key of bag.keysWithPrefix(prefix)) {
    const rest = key.slice(prefix.length);
    const dot = rest.indexOf('.');
    const indexText = dot < 0 ? rest : rest.slice(0, dot);
    if (!/^\d{1,6}$/.test(indexText) || dot < 0) continue;
    let path = rest.slice(dot + 1);
    if (strip && path.startsWith(strip)) path = path.slice(strip.length);
    const index = Number(indexText);
    const message = byIndex.get(index) ?? {};
    byIndex.set(index, message);
    setPath(message, path.split('.'), bag.peek(key) ?? null);
  }
  if (byIndex.size === 0) return undefined;
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, m]) => numberedToLists(m));
}

function setPath(target: Record<string, unknown>, segments: string[], value: unknown): void {
  if (segments.includes('__proto__')) return;
  let node = target;
  for (const segment of segments.slice(0, -1)) {
    const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (next === null || typeof next !== 'object') node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[segments[segments.length - 1] as string] = value;
}

function numberedToLists(value: unknown): AttributeValue {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value as AttributeValue;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 0 && entries.every(([k]) => /^\d{1,6}$/.test(k))) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => numberedToLists(v));
  }
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of entries) out[k] = numberedToLists(v);
  return out;
}
