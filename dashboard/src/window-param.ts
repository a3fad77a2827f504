/** The window a page shows, read from and written to its hash query. */
import { WINDOWS, type Window } from './answers.js';
import { labelledSelect } from './dom.js';

export const DEFAULT_WINDOW: Window = '1h';

const WINDOW_TEXT: Record<Window, string> = {
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '6h': 'Last 6 hours',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
};

export function windowParam(params: URLSearchParams): Window {
  const value = params.get('window');
  return WINDOWS.find((w) => w === value) ?? DEFAULT_WINDOW;
}

/** The labelled window picker. */
export function windowSelect(
  id: string,
  selected: Window,
): { field: HTMLElement; select: HTMLSelectElement } {
  return labelledSelect(
    id,
    'Window',
    WINDOWS.map((w) => [w, WINDOW_TEXT[w]] as const),
    selected,
  );
}
