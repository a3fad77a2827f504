import { CostModelError } from './cost-model-error.js';

/**
 * One billable resource of a synthesized template, as `inventory` (`lib/pricing/inventory.ts`) lists
 * it. A resource whose size has `free` (a reason) gets no line. Each cost rule
 * (`lib/pricing/rules/`) names the `size` keys it reads.
 */
export interface BillableResource {
  readonly type: string;
  readonly logicalId: string;
  /** The top-level construct the resource belongs to: the lines are grouped by it. */
  readonly component: string;
  readonly size: Readonly<Record<string, number | string>>;
}

/** A number ≥ 0 of the resource's size, or `fallback` where the size omits it. */
export function sizeNumber(r: BillableResource, key: string): number;
export function sizeNumber(r: BillableResource, key: string, fallback: number): number;
export function sizeNumber(r: BillableResource, key: string, fallback?: number): number {
  const value = r.size[key];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CostModelError(
      `${r.type} ${r.logicalId}: size.${key} must be a number ≥ 0, got ${String(value)}`,
    );
  }
  return value;
}

/** A text of the resource's size, if it has the key. */
export function sizeString(r: BillableResource, key: string): string | undefined {
  const value = r.size[key];
  return value === undefined ? undefined : String(value);
}
