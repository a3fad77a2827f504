/** What the query API answers, as the dashboard reads it. */

export type Window = '15m' | '1h' | '6h' | '24h' | '7d';
export const WINDOWS: readonly Window[] = ['15m', '1h', '6h', '24h', '7d'];

export interface Summary {
  readonly requests: number;
  readonly errors: number;
  readonly error_rate: number | null;
  readonly latency_ms_p95: number | null;
  readonly total_tokens: number;
  readonly cost_cents: number;
}

/** A series row: one bucket and model. Tokens and cost are absent from older APIs. */
export interface SeriesRow {
  readonly time?: string;
  readonly minute?: string;
  readonly hour?: string;
  readonly model: string;
  readonly requests: number;
  readonly errors: number;
  readonly latency_ms_p50?: number;
  readonly latency_ms_p95?: number;
  readonly total_tokens?: number;
  readonly cost_cents?: number;
}

export interface ModelUsage {
  readonly model: string;
  readonly requests: number;
  readonly total_tokens: number;
  readonly cost_cents: number;
}

export interface Call {
  readonly trace_id: string;
  readonly span_id: string;
  readonly timestamp: string;
  readonly name: string;
  readonly model: string;
  readonly latency_ms: number;
  readonly status?: 'ok' | 'error';
  readonly error_message?: string;
  readonly total_tokens?: number;
  readonly cost_cents?: number;
}

export interface Span {
  readonly trace_id: string;
  readonly span_id: string;
  readonly parent_span_id: string;
  readonly timestamp: string;
  readonly name: string;
  readonly model: string;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly total_tokens: number;
  readonly latency_ms: number;
  readonly cost_cents: number;
  readonly status: 'ok' | 'error';
  readonly error_message: string;
  readonly user_id: string;
  readonly session_id: string;
  readonly tags: readonly string[];
  readonly metadata: Record<string, unknown>;
  readonly prompt: string;
  readonly response: string;
}

export interface DayCost {
  readonly day: string;
  readonly model: string;
  readonly requests: number;
  readonly total_tokens: number;
  readonly cost_cents: number;
}

export interface Answers {
  summary: { project: string; summary: Summary };
  metrics: { project: string; from: string; to: string; step: 'minute' | 'hour'; series: SeriesRow[] };
  models: { project: string; models: ModelUsage[] };
  calls: { project: string; calls: Call[] };
  trace: { project: string; trace_id: string; spans: Span[] };
  costs: {
    project: string;
    from: string;
    to: string;
    days: DayCost[];
    month: {
      from: string;
      to: string;
      requests: number;
      total_tokens: number;
      cost_cents: number;
      models: ModelUsage[];
    };
  };
}
