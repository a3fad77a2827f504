import { type MockInstance, vi } from 'vitest';

/** An EMF blob as Powertools prints it: the metrics and dimensions at the top, their names under `_aws`. */
export type EmfBlob = Record<string, unknown> & {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
};

/** What a test reads of the console Powertools writes to. */
export interface PowertoolsConsole {
  readonly log: MockInstance<typeof console.log>;
  readonly error: MockInstance<typeof console.error>;
  /** The EMF blobs printed since `log` was last cleared, in order. */
  emfBlobs(): EmfBlob[];
}

/**
 * Powertools in dev mode, with metrics on: it prints logs and EMF metrics to the global console,
 * which is silenced and captured here. Call it in `beforeAll`, before the handler is imported.
 */
export function capturePowertoolsConsole(options: { readonly logLevel?: string } = {}): PowertoolsConsole {
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  if (options.logLevel !== undefined) vi.stubEnv('POWERTOOLS_LOG_LEVEL', options.logLevel);
  for (const method of ['info', 'warn', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation(() => undefined);
  }
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  return {
    log,
    error,
    emfBlobs: () =>
      log.mock.calls.flatMap(([line]) => {
        try {
          const blob = JSON.parse(String(line)) as EmfBlob;
          return blob._aws === undefined ? [] : [blob];
        } catch {
          return [];
        }
      }),
  };
}
