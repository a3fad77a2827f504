import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings of the processes that run the validator and the loader (the Lambda functions, and
 * `npm start`, which runs the same handler modules): set when the handler module loads, before
 * the first request. Lambda's `NODE_OPTIONS` takes only the V8 flags Node lists as allowed, and
 * these are not among them.
 *
 * `--no-allocation-site-pretenuring`: V8 watches the objects each object or array literal
 * creates, and once most of them are still alive at a young-generation collection it allocates
 * that literal's objects directly in the old generation from then on. A request's work defeats
 * the heuristic: the spans of one OTLP request (or the accepted events of one batch) live until
 * the request is answered, so their literals are judged long-lived, while the next request's
 * objects die young. Objects allocated old and already dead still point at the young ones made
 * after them (the prompt and response text of each span): the young collector must keep those
 * too and moves them to the old generation, so the old generation fills with garbage and a
 * full mark-compact runs every few requests. Measured (docs/benchmarks.md, "The collector"): in a
 * CPU profile of 120 validator requests the collector took 22–25% of the time without the flag
 * and about 8% with it.
 */
export const HEAP_TUNING_FLAGS = ['--no-allocation-site-pretenuring'] as const;

let applied = false;

/**
 * Sets `HEAP_TUNING_FLAGS` in this process, once (a second call does nothing): the handler
 * modules call it as they load. Returns the flags.
 */
export function applyHeapTuning(): readonly string[] {
  if (!applied) {
    for (const flag of HEAP_TUNING_FLAGS) setFlagsFromString(flag);
    applied = true;
  }
  return HEAP_TUNING_FLAGS;
}
