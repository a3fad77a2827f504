import type { EventInput } from '../../functions/shared/contract/event.js';

/**
 * Realistic LLM-call events for tests, benchmarks and load tests: ~2 KB prompt, ~3 KB response,
 * ~200 bytes of metadata, ~5.3 KB of JSON in all, from a seeded generator so runs repeat.
 * The text is drawn from a Zipf-distributed vocabulary of 4,000 made-up words, which gzips
 * about 3.5:1, close to English prose (pure repetition would flatter every compressed figure).
 *
 * With `sizes: 'spread'` the prompt and response lengths are log-normal around the same means
 * (most calls short, a few long ones, as real traffic), instead of exactly 2,000 and 3,000.
 */

/** Mean text lengths, in characters, of the design document's 5.3 KB event. */
export const MEAN_PROMPT_CHARS = 2_000;
export const MEAN_RESPONSE_CHARS = 3_000;
/** The log-normal's sigma: about a third of calls below half the mean, one in 20 above twice it. */
const SPREAD_SIGMA = 0.6;
/** Bounds of a spread length: a call has some text, and stays far under the event size limit. */
const SPREAD_MIN_CHARS = 40;
const SPREAD_MAX_FACTOR = 8;
const CORPUS_CHARS = 1 << 20;

/** mulberry32: small, fast, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const SYLLABLES =
  'ka lo mi tre su van el or is ba ne qu ri to pa de la mon ser gal fi nu ho wen ty ar cy zo be ul'.split(
    ' ',
  );
const MODELS = [
  'gpt-4o-mini',
  'gpt-4o',
  'claude-sonnet-4',
  'claude-haiku-4',
  'llama-3.1-70b',
  'mistral-large',
];

/** `size` made-up words of one to three syllables, drawn with `random`. */
export function vocabulary(random: () => number, size: number): string[] {
  const words: string[] = [];
  for (let i = 0; i < size; i++) {
    let word = '';
    const syllables = 1 + Math.floor(random() * 3);
    for (let s = 0; s < syllables; s++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.push(word);
  }
  return words;
}

/** `chars` lowercase hex digits drawn with `random`. */
export function hex(random: () => number, chars: number): string {
  let out = '';
  while (out.length < chars)
    out += Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, chars);
}

export interface EventGenerator {
  /** The next event; `overrides` replace generated fields, `metadata` is added to its metadata. */
  next(overrides?: Partial<EventInput>, metadata?: Readonly<Record<string, string>>): EventInput;
}

export interface EventGeneratorOptions {
  readonly seed?: number;
  readonly projectId?: string;
  readonly now?: () => number;
  /** `fixed`: 2,000 and 3,000 characters; `spread`: log-normal around those means. @default 'fixed' */
  readonly sizes?: 'fixed' | 'spread';
  /** Added to every event's generated metadata (a load run's id, say). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export function eventGenerator(options: EventGeneratorOptions = {}): EventGenerator {
  const random = seededRandom(options.seed ?? 1);
  const words = vocabulary(random, 4_000);
  const now = options.now ?? Date.now;
  // Zipf-like: squaring a uniform draw favours the first words of the vocabulary.
  const word = () => words[Math.floor(random() ** 2 * words.length)] as string;
  // A corpus of such words, built once; each text is a slice of it from a random word. Building
  // every text word by word cost ~100 µs an event; a slice costs ~1 µs. Slices of a 1 MiB corpus
  // seldom overlap within gzip's 32 KiB window, so they compress like fresh text.
  const parts: string[] = [];
  let corpusLength = 0;
  while (corpusLength < CORPUS_CHARS + MEAN_RESPONSE_CHARS * SPREAD_MAX_FACTOR) {
    const w = word();
    parts.push(w);
    corpusLength += w.length + 1;
  }
  const corpus = parts.join(' ');
  const text = (chars: number) => {
    const from = corpus.indexOf(' ', Math.floor(random() * CORPUS_CHARS)) + 1;
    return corpus.slice(from, from + chars).trimEnd();
  };
  // Box–Muller: a standard normal draw from two uniform ones.
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const length = (mean: number) => {
    if (options.sizes !== 'spread') return mean;
    // A log-normal's mean is its median times e^(sigma²/2): the median is set so the mean stays put.
    const median = mean / Math.exp((SPREAD_SIGMA * SPREAD_SIGMA) / 2);
    const drawn = Math.round(median * Math.exp(SPREAD_SIGMA * normal()));
    return Math.min(mean * SPREAD_MAX_FACTOR, Math.max(SPREAD_MIN_CHARS, drawn));
  };
  return {
    next(overrides = {}, extra = {}) {
      const input = 200 + Math.floor(random() * 800);
      const output = 100 + Math.floor(random() * 900);
      const failed = random() < 0.02;
      return {
        trace_id: hex(random, 32),
        span_id: hex(random, 16),
        timestamp: new Date(now()).toISOString(),
        ...(options.projectId ? { project_id: options.projectId } : {}),
        name: 'chat.completion',
        model: MODELS[Math.floor(random() * MODELS.length)] as string,
        input_tokens: input,
        output_tokens: output,
        latency_ms: Math.round(200 + random() * 3_000),
        cost_cents: Math.round((input * 0.015 + output * 0.06) * 100) / 10_000,
        status: failed ? 'error' : 'ok',
        ...(failed ? { error_message: 'upstream timeout after 30s' } : {}),
        user_id: `user-${Math.floor(random() * 10_000)}`,
        session_id: `sess-${hex(random, 12)}`,
        tags: ['production', MODELS[Math.floor(random() * 2)] as string],
        metadata: {
          env: 'production',
          region: 'us-east-1',
          feature: ['chat', 'search', 'summarise'][Math.floor(random() * 3)],
          app_version: '3.14.2',
          temperature: 0.7,
          experiment: `exp-${Math.floor(random() * 50)}`,
          ...options.metadata,
          ...extra,
        },
        prompt: text(length(MEAN_PROMPT_CHARS)),
        response: text(length(MEAN_RESPONSE_CHARS)),
        ...overrides,
      };
    },
  };
}
