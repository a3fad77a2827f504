/** Raised when the inventory or load cannot be priced. */
export class CostModelError extends Error {
  override name = 'CostModelError';
}
