import { type EventGenerator, hex, seededRandom, vocabulary } from './event-generator.js';

/**
 * LLM-call events shaped like an application's traffic, for compression and cost figures: the
 * events `eventGenerator` makes are each fresh text (its worst case for gzip), while a real
 * application resends a lot from call to call. Here the text is the same made-up vocabulary
 * (the words are no more compressible than there); what repeats comes from the structure:
 *
 * - a catalogue of applications (`SESSION_APPS`), each with its own system prompt of a few hundred
 *   to ~1,500 characters and its prompt templates, sent on every call it makes;
 * - chats of several turns whose prompt resends the conversation so far (the last
 *   `historyTurns` turns: turn n carries the earlier ones, user and assistant);
 * - retrieved passages (RAG) drawn, the popular ones more often, from a fixed document set;
 * - tool calls as JSON in the response, and the tool's JSON result in the next call's prompt;
 * - prompts as JSON text of the chat messages (`[{"role":"system","content":…},…]`), as SDKs
 *   that wrap a chat API log them.
 *
 * One generator is one SDK process: `primaryApp` makes most of its sessions (`primaryShare`), the
 * rest come from the other applications (a process serving a few features). `concurrentSessions`
 * sessions are open at once and each call comes from one of them at random, so a 500-event batch
 * interleaves many conversations, as traffic does. A chat is one trace: its calls share the
 * `trace_id` and `session_id`, each call its own `span_id`.
 *
 * With the defaults, one process per application, events average ~5.5 KB of NDJSON (prompt
 * ~3.8 KB, response ~1.0 KB: resent history and passages make prompts outweigh answers), from
 * ~2 KB to ~17 KB (median ~4.8 KB); `docs/workloads.md` has the measured figures. The
 * catalogue (applications and documents) comes from `catalogSeed`, the traffic from
 * `seed`: generators with different seeds are processes of the same applications.
 */

/** The applications of the catalogue, in order: `primaryApp` is an index into it. */
export const SESSION_APPS = [
  {
    name: 'support-chat',
    kind: 'chat',
    model: 'gpt-4o-mini',
    systemPromptChars: 1_400,
    /** Turns of a session: uniform from 1 to this. */
    maxTurns: 6,
    /** Chance that a turn retrieves passages from the knowledge base. */
    ragShare: 0.3,
    temperature: 0.3,
  },
  {
    name: 'docs-search',
    kind: 'rag',
    model: 'claude-haiku-4',
    systemPromptChars: 700,
    maxTurns: 3,
    ragShare: 1,
    temperature: 0,
  },
  {
    name: 'ops-agent',
    kind: 'agent',
    model: 'gpt-4o',
    systemPromptChars: 1_200,
    maxTurns: 4,
    ragShare: 0,
    temperature: 0.2,
  },
  {
    name: 'doc-summariser',
    kind: 'extract',
    model: 'claude-sonnet-4',
    systemPromptChars: 450,
    maxTurns: 1,
    ragShare: 0,
    temperature: 0,
  },
] as const;

export interface SessionGeneratorOptions {
  /** The traffic: which sessions, turns and words. @default 1 */
  readonly seed?: number;
  /** The applications' system prompts, templates and the document set. @default 7 */
  readonly catalogSeed?: number;
  /** The application (index into `SESSION_APPS`) this process mostly serves. @default 0 */
  readonly primaryApp?: number;
  /** Share of sessions from `primaryApp`; the rest are spread over the others. @default 0.8 */
  readonly primaryShare?: number;
  /** Sessions open at once; each call picks one of them. @default 12 */
  readonly concurrentSessions?: number;
  /** Earlier turns a chat's prompt carries (a context window kept by turns). @default 2 */
  readonly historyTurns?: number;
  /** Mean characters of an assistant's answer (log-normal around it). @default 1_300 */
  readonly meanAnswerChars?: number;
  readonly projectId?: string;
  readonly now?: () => number;
  /** Added to every event's generated metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Documents the RAG applications retrieve from, and characters of each. */
const DOCUMENTS = 120;
const DOCUMENT_MIN_CHARS = 200;
const DOCUMENT_MAX_CHARS = 600;
const PASSAGES_PER_RETRIEVAL = 3;
const CORPUS_CHARS = 1 << 20;
const ANSWER_SIGMA = 0.6;
const ANSWER_MIN_CHARS = 40;
const ANSWER_MAX_FACTOR = 6;

interface Message {
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly content: string;
  readonly tool_call_id?: string;
}

interface Session {
  readonly app: (typeof SESSION_APPS)[number];
  readonly appIndex: number;
  readonly traceId: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly turns: number;
  turn: number;
  /** The conversation after the system prompt: user, assistant and tool messages. */
  readonly history: Message[][];
  /** A tool call whose result the next call carries (the agent's second step). */
  pendingTool?: { readonly id: string; readonly name: string; readonly user: Message; readonly call: string };
}

/** A corpus of words from the vocabulary, Zipf-like (squaring a uniform draw favours the first words). */
function buildCorpus(random: () => number, words: readonly string[]): string {
  const parts: string[] = [];
  let length = 0;
  while (length < CORPUS_CHARS + 40_000) {
    const w = words[Math.floor(random() ** 2 * words.length)] as string;
    parts.push(w);
    length += w.length + 1;
  }
  return parts.join(' ');
}

/**
 * Words as text: a slice of the corpus from a random word, `chars` long, cut at a word. Slices of a
 * 1 MiB corpus seldom overlap within gzip's 32 KiB window, so fresh text compresses as fresh text.
 */
function textSource(random: () => number, corpus: string): (chars: number) => string {
  return (chars) => {
    const from = corpus.indexOf(' ', Math.floor(random() * CORPUS_CHARS)) + 1;
    return corpus.slice(from, from + chars).trimEnd();
  };
}

/** Text cut into sentences, so prompts read as prose rather than one run of words. */
function sentences(text: string): string {
  return text.replace(/(\S+ \S+ \S+ \S+ \S+ \S+ \S+ \S+ \S+) /g, '$1. ');
}

const TOOLS = ['search_orders', 'get_metrics', 'restart_service', 'open_ticket'] as const;

interface Catalogue {
  /** The words every text is cut from. */
  readonly corpus: string;
  readonly systemPrompts: readonly string[];
  /** Per application, its prompt templates; `{…}` slots are filled per call. */
  readonly templates: readonly (readonly string[])[];
  readonly documents: readonly { readonly id: string; readonly title: string; readonly text: string }[];
}

const catalogues = new Map<number, Catalogue>();

/**
 * The language, the applications' fixed text and the document set: the same for every generator
 * of a catalogue seed, built once per process (it is most of a generator's set-up time).
 */
function catalogue(seed: number): Catalogue {
  const cached = catalogues.get(seed);
  if (cached !== undefined) return cached;
  const random = seededRandom(seed);
  const corpus = buildCorpus(random, vocabulary(random, 4_000));
  const text = textSource(random, corpus);
  const systemPrompts = SESSION_APPS.map((app) => {
    const head =
      app.kind === 'agent'
        ? `You are ${app.name}, an operations assistant. Call a tool when you need data; answer in plain text once you have it. Tools: ${TOOLS.map((t) => `${t}({"query": string, "limit": integer})`).join(', ')}.`
        : `You are ${app.name}. Answer politely and concisely; if the answer is not in the context, say so.`;
    const rules: string[] = [];
    let length = head.length;
    while (length < app.systemPromptChars) {
      const rule = `${rules.length + 1}. ${sentences(text(60 + Math.floor(random() * 140)))}.`;
      rules.push(rule);
      length += rule.length + 1;
    }
    return [head, ...rules].join('\n').slice(0, app.systemPromptChars);
  });
  const templates = SESSION_APPS.map((app) => {
    switch (app.kind) {
      case 'rag':
      case 'chat':
        return [
          'Use only the passages below to answer. Cite passages by their id in brackets.\n\n{passages}\n\nQuestion: {question}',
          'Context from the knowledge base:\n{passages}\n\nCustomer message: {question}\nReply in the tone of the guidelines.',
        ];
      case 'agent':
        return ['Task: {question}\nEnvironment: production\nRespond with a tool call or the final answer.'];
      default:
        return [
          'Summarise the document below in at most five bullet points, then give a JSON object {"topic": string, "sentiment": "positive"|"neutral"|"negative", "entities": string[]}.\n\nDocument {id}:\n{document}',
          'Classify the document below. Answer with JSON only: {"category": string, "confidence": number, "reasons": string[]}.\n\nDocument {id}:\n{document}',
        ];
    }
  });
  const documents = Array.from({ length: DOCUMENTS }, (_, i) => ({
    id: `kb-${String(i + 1).padStart(4, '0')}`,
    title: text(20 + Math.floor(random() * 30)),
    text: sentences(
      text(DOCUMENT_MIN_CHARS + Math.floor(random() * (DOCUMENT_MAX_CHARS - DOCUMENT_MIN_CHARS))),
    ),
  }));
  const built = { corpus, systemPrompts, templates, documents };
  catalogues.set(seed, built);
  return built;
}

const fill = (template: string, slots: Readonly<Record<string, string>>): string =>
  template.replace(/\{(\w+)\}/g, (whole, key: string) => slots[key] ?? whole);

/**
 * Events of application sessions; the same `EventGenerator` as `eventGenerator`, so either feeds
 * any benchmark. `overrides` and `metadata` on `next` work as there.
 */
export function sessionGenerator(options: SessionGeneratorOptions = {}): EventGenerator {
  const random = seededRandom(options.seed ?? 1);
  // One language and one set of applications for every process of a catalogue seed.
  const { corpus, systemPrompts, templates, documents } = catalogue(options.catalogSeed ?? 7);
  const text = textSource(random, corpus);
  const now = options.now ?? Date.now;
  const primary = options.primaryApp ?? 0;
  if (!Number.isInteger(primary) || primary < 0 || primary >= SESSION_APPS.length)
    throw new RangeError(`primaryApp must be 0 to ${SESSION_APPS.length - 1}, got ${primary}`);
  const primaryShare = options.primaryShare ?? 0.8;
  const concurrent = Math.max(1, options.concurrentSessions ?? 12);
  const historyTurns = Math.max(0, options.historyTurns ?? 2);
  const meanAnswer = options.meanAnswerChars ?? 1_300;

  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const spread = (mean: number) => {
    const median = mean / Math.exp((ANSWER_SIGMA * ANSWER_SIGMA) / 2);
    const drawn = Math.round(median * Math.exp(ANSWER_SIGMA * normal()));
    return Math.min(mean * ANSWER_MAX_FACTOR, Math.max(ANSWER_MIN_CHARS, drawn));
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  // Popular documents come up more often: squaring a uniform draw favours the first ones.
  const passage = () =>
    documents[Math.floor(random() ** 2 * documents.length)] as Catalogue['documents'][number];

  const newSession = (): Session => {
    const others = SESSION_APPS.length - 1;
    const appIndex =
      random() < primaryShare || others === 0
        ? primary
        : (primary + 1 + Math.floor(random() * others)) % SESSION_APPS.length;
    const app = SESSION_APPS[appIndex] as (typeof SESSION_APPS)[number];
    return {
      app,
      appIndex,
      traceId: hex(random, 32),
      sessionId: `sess-${hex(random, 12)}`,
      userId: `user-${Math.floor(random() * 10_000)}`,
      turns: 1 + Math.floor(random() * app.maxTurns),
      turn: 0,
      history: [],
    };
  };
  const sessions = Array.from({ length: concurrent }, newSession);

  /** The user's message and the assistant's reply of one call, with the template it used. */
  const call = (s: Session): { user: Message[]; response: string; template: number; tool?: string } => {
    const appTemplates = templates[s.appIndex] ?? [];
    const template = Math.floor(random() * appTemplates.length);
    const question = sentences(text(60 + Math.floor(random() * 340)));
    if (s.pendingTool !== undefined) {
      // The agent's second step: the tool's result comes back, the model answers.
      const { id, name, user, call } = s.pendingTool;
      s.pendingTool = undefined;
      const rows = Array.from({ length: 2 + Math.floor(random() * 6) }, () => ({
        id: hex(random, 8),
        status: pick(['open', 'closed', 'degraded', 'ok']),
        value: Math.round(random() * 10_000) / 100,
        note: text(20 + Math.floor(random() * 60)),
      }));
      const result: Message = {
        role: 'tool',
        tool_call_id: id,
        content: JSON.stringify({ tool: name, ok: true, rows }),
      };
      return {
        user: [user, { role: 'assistant', content: call }, result],
        response: sentences(text(spread(meanAnswer * 0.6))),
        template,
      };
    }
    const slots: Record<string, string> = { question };
    if (s.app.kind === 'extract') {
      const doc = passage();
      // A longer document: a few of the set's, as one would upload a report.
      const body = [doc, passage(), passage()].map((d) => d.text).join('\n\n');
      slots.id = doc.id;
      slots.document = body;
    } else if (random() < s.app.ragShare) {
      slots.passages = Array.from({ length: PASSAGES_PER_RETRIEVAL }, passage)
        .map((d) => `[${d.id}] ${d.title}\n${d.text}`)
        .join('\n\n');
    }
    const content =
      slots.passages === undefined && s.app.kind === 'chat'
        ? question
        : fill(appTemplates[template] ?? '{question}', slots);
    const user: Message = { role: 'user', content };
    if (s.app.kind === 'agent' && random() < 0.7) {
      const id = `call_${hex(random, 24)}`;
      const name = pick(TOOLS);
      const args = { query: text(10 + Math.floor(random() * 50)), limit: 5 + Math.floor(random() * 20) };
      const response = JSON.stringify({
        tool_calls: [{ id, type: 'function', function: { name, arguments: JSON.stringify(args) } }],
      });
      s.pendingTool = { id, name, user, call: response };
      return { user: [user], response, template, tool: name };
    }
    if (s.app.kind === 'extract') {
      const json = {
        topic: text(10 + Math.floor(random() * 30)),
        sentiment: pick(['positive', 'neutral', 'negative']),
        entities: Array.from({ length: 2 + Math.floor(random() * 5) }, () =>
          text(8 + Math.floor(random() * 16)),
        ),
      };
      const bullets = Array.from(
        { length: 3 + Math.floor(random() * 3) },
        () => `- ${sentences(text(spread(120)))}`,
      );
      return { user: [user], response: `${bullets.join('\n')}\n\n${JSON.stringify(json)}`, template };
    }
    return { user: [user], response: sentences(text(spread(meanAnswer))), template };
  };

  return {
    next(overrides = {}, extra = {}) {
      const slot = Math.floor(random() * sessions.length);
      const s = sessions[slot] as Session;
      const turn = s.turn + 1;
      const { user, response, template, tool } = call(s);
      const earlier = historyTurns === 0 ? [] : s.history.slice(-historyTurns).flat();
      const messages: Message[] = [
        { role: 'system', content: systemPrompts[s.appIndex] ?? '' },
        ...earlier,
        ...user,
      ];
      const prompt = JSON.stringify(messages);
      if (s.pendingTool === undefined) {
        // A turn ends when the model answers; an agent's tool call and its result are one turn.
        s.history.push([...user, { role: 'assistant', content: response }]);
        s.turn = turn;
      }
      if (s.turn >= s.turns && s.pendingTool === undefined) sessions[slot] = newSession();
      const input = Math.round(prompt.length / 4);
      const output = Math.max(1, Math.round(response.length / 4));
      const failed = random() < 0.01;
      return {
        trace_id: s.traceId,
        span_id: hex(random, 16),
        timestamp: new Date(now()).toISOString(),
        ...(options.projectId ? { project_id: options.projectId } : {}),
        name: tool === undefined ? 'chat.completion' : 'chat.completion.tool_call',
        model: s.app.model,
        input_tokens: input,
        output_tokens: output,
        latency_ms: Math.round(150 + output * (8 + random() * 12)),
        cost_cents: Math.round((input * 0.015 + output * 0.06) * 100) / 10_000,
        status: failed ? 'error' : 'ok',
        ...(failed ? { error_message: 'upstream timeout after 30s' } : {}),
        user_id: s.userId,
        session_id: s.sessionId,
        tags: ['production', s.app.name],
        metadata: {
          env: 'production',
          region: 'us-east-1',
          app: s.app.name,
          app_version: `2.${s.appIndex + 3}.1`,
          temperature: s.app.temperature,
          template: `${s.app.name}/v${template + 1}`,
          turn,
          ...options.metadata,
          ...extra,
        },
        prompt,
        response,
        ...overrides,
      };
    },
  };
}
