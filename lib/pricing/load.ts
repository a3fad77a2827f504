import type { CapacityOptions } from '../capacity.js';
import { CostModelError } from './cost-model-error.js';

/** The load the bill is computed at. */
export interface Load {
  readonly eventsPerSec: number;
  /** Average uncompressed event. */
  readonly eventBytes: number;
  /** Uncompressed ÷ gzip bytes of a request body. */
  readonly gzipRatio: number;
  /** Events per request, and so per stream record. */
  readonly eventsPerRequest: number;
}

/** Throws `CostModelError` naming the first field of `load` that cannot be priced. */
export function checkLoad(load: Load): void {
  const positive: (keyof Load)[] = ['eventBytes', 'gzipRatio', 'eventsPerRequest'];
  if (!Number.isFinite(load.eventsPerSec) || load.eventsPerSec < 0) {
    throw new CostModelError(`load.eventsPerSec must be a finite number ≥ 0, got ${load.eventsPerSec}`);
  }
  for (const key of positive) {
    if (!Number.isFinite(load[key]) || load[key] <= 0) {
      throw new CostModelError(`load.${key} must be a finite number > 0, got ${load[key]}`);
    }
  }
}

/** Capacity's options for a load: its rate, and the event's size, ratio and batch. */
export function capacityOptionsOf(load: Load): CapacityOptions {
  return {
    eventsPerSec: load.eventsPerSec,
    assumptions: {
      eventBytes: load.eventBytes,
      gzipRatio: load.gzipRatio,
      eventsPerRequest: load.eventsPerRequest,
    },
  };
}
