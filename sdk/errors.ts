/** Thrown by the `EvalForgeClient` constructor for options that cannot work. */
export class EvalForgeConfigError extends Error {
  override readonly name = 'EvalForgeConfigError';
}

/** Passed to `onError` for each request that was not wholly accepted. */
export class EvalForgeRequestError extends Error {
  override readonly name = 'EvalForgeRequestError';

  constructor(
    message: string,
    /** HTTP status; `undefined` for a network error or a timeout. */
    readonly status: number | undefined,
    /** Whether the client will send (some of) the events again. */
    readonly willRetry: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
