/**
 * The workloads' gzip ratios the cost report prices each tier at, measured once per process
 * (~3 s): the SDK's level 6, per request batch, for fresh text and for application sessions
 * (lib/workloads/compression.ts). The same Node and zlib give the same figures, so the committed
 * report stays reproducible.
 */
import { compressionAt, measureCompression, SDK_GZIP_LEVEL, WORKLOADS } from '../workloads/compression.js';
import type { WorkloadRatio } from './workload-cost.js';

let measured: readonly WorkloadRatio[] | undefined;

/** Each workload's ratio and gzip bytes per event at the SDK's level, per request batch. */
export function measuredWorkloads(): readonly WorkloadRatio[] {
  if (measured === undefined) {
    const m = measureCompression();
    measured = WORKLOADS.map((name) => {
      const { batch } = compressionAt(m, name, SDK_GZIP_LEVEL);
      return { name, gzipRatio: batch.ratio, bytesPerEvent: batch.bytesPerEvent };
    });
  }
  return measured;
}
