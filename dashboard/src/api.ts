/** The query API as the dashboard calls it: where it is, the key it sends, its failures. */

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
