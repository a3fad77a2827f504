/** The query API as the dashboard calls it: where it is, the key it sends, what it answers. */

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

/** An answer other than 2xx, with the API's `{error:{code,message}}` when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds, from Retry-After. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The key was refused: 401 or 403. */
  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** Where the API is: `config.json` next to the page; '' is this origin. */
export async function loadApiUrl(): Promise<string> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  const config = (await response.json()) as { apiUrl?: unknown };
  return typeof config.apiUrl === 'string' ? config.apiUrl.replace(/\/+$/, '') : '';
}

export type Params = Record<string, string | number | undefined>;

export class Api {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  /** `GET path?params` with the key as bearer token; throws {@link ApiError} on any non-2xx. */
  async get<T>(path: string, params: Params = {}): Promise<T> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== '') query.append(name, String(value));
    }
    const search = query.toString();
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}${search ? `?${search}` : ''}`, {
        headers: { authorization: `Bearer ${this.key}` },
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(0, 'unreachable', `the API did not answer (${(error as Error).message})`);
    }
    if (response.ok) return (await response.json()) as T;
    let code = 'http_error';
    let message = `${response.status} ${response.statusText}`.trim();
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      if (body.error?.message) message = body.error.message;
      if (body.error?.code) code = body.error.code;
    } catch {
      // Not JSON: the status line says what there is to say.
    }
    const retry = Number(response.headers.get('retry-after'));
    throw new ApiError(
      response.status,
      code,
      message,
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    );
  }
}
