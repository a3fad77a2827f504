import { afterAll, vi } from 'vitest';

/**
 * The unit project runs its files in shared workers (`isolate: false`) so that the libraries they
 * import load once per worker, not once per file. A file still gets the project's own modules
 * fresh, as a new Lambda container would: after each file, the module registry (the project's
 * modules; not the libraries, which Node keeps) and stubbed variables are reset, so no memoised
 * dependency, cache or environment of one file reaches the next.
 */
afterAll(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.resetModules();
});
