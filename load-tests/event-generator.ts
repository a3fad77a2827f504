import type { EventInput } from '../functions/shared/event.js';

/**
 * Realistic LLM-call events for tests, benchmarks and load tests: ~2 KB prompt, ~3 KB response,
 * ~200 bytes of metadata, ~5.3 KB of JSON in all, from a seeded generator so runs repeat.
 * The text is drawn from a Zipf-distributed vocabulary of 4,000 made-up words, which gzips
 * about 3.5:1, close to English prose (pure repetition would flatter every compressed figure).
 */

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

function vocabulary(random: () => number, size: number): string[] {
  const words: string[] = [];
  for (let i = 0; i < size; i++) {
    let word = '';
    const syllables = 1 + Math.floor(random() * 3);
    for (let s = 0; s < syllables; s++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.push(word);
  }
  return words;
}

function hex(random: () => number, chars: number): string {
  let out = '';
  while (out.length < chars)
    out += Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, chars);
}

export interface EventGenerator {
  /** The next event; `overrides` replace generated fields. */
  next(overrides?: Partial<EventInput>): EventInput;
}

export function eventGenerator(
  options: { seed?: number; projectId?: string; now?: () => number } = {},
): EventGenerator {
  const random = seededRandom(options.seed ?? 1);
  const words = vocabulary(random, 4_000);
  const now = options.now ?? Date.now;
  // Zipf-like: squaring a uniform draw favours the first words of the vocabulary.
  const word = () => words[Math.floor(random() ** 2 * words.length)] as string;
  const text = (chars: number) => {
    const parts: string[] = [];
    let length = 0;
    while (length < chars) {
      const w = word();
      parts.push(w);
      length += w.length + 1;
    }
    return parts.join(' ').slice(0, chars);
  };
  return {
    next(overrides = {}) {
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
        },
        prompt: text(2_000),
        response: text(3_000),
        ...overrides,
      };
    },
  };
}
