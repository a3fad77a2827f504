/** How numbers read on the dashboard: the raw value goes in `data-value`, this text beside it. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(value: number): string {
  return integer.format(value);
}

/** Cents as dollars: 2 decimals from $1, else 4 (a cheap call costs a fraction of a cent). */
export function formatCents(cents: number): string {
  const dollars = cents / 100;
  const digits = Math.abs(dollars) >= 1 ? 2 : 4;
  return `$${dollars.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  return ms >= 10_000 ? `${(ms / 1_000).toFixed(1)} s` : `${integer.format(ms)} ms`;
}

export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '–';
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.001 ? 3 : 1)}%`;
}

/** An ISO time as the reader's local date and time. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString('en-GB', { hour12: false });
}
