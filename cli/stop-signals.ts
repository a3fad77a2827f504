/**
 * Ctrl-C handling for the long-running commands (`npm start`, `npm run load`): the first SIGINT
 * or SIGTERM stops gracefully, another one stops at once. Under `npm run`, one Ctrl-C at the
 * terminal arrives twice (the terminal signals the whole process group, and npm forwards what it
 * got to its child), so a repeat within `sameWithinMs` counts as the same press.
 */

export const SAME_PRESS_WITHIN_MS = 1_000;

export interface StopSignalHandlers {
  /** The first press: stop gracefully. */
  readonly first: (signal: NodeJS.Signals) => void;
  /** A later press: stop at once. */
  readonly again: (signal: NodeJS.Signals) => void;
}

/** Reacts to SIGINT and SIGTERM; `now` and the process are injectable for tests. */
export function onStopSignals(
  handlers: StopSignalHandlers,
  options: {
    readonly sameWithinMs?: number;
    readonly now?: () => number;
    readonly target?: Pick<NodeJS.Process, 'on'>;
  } = {},
): void {
  const sameWithinMs = options.sameWithinMs ?? SAME_PRESS_WITHIN_MS;
  const now = options.now ?? Date.now;
  let firstAt: number | undefined;
  const handle = (signal: NodeJS.Signals) => {
    const at = now();
    if (firstAt === undefined) {
      firstAt = at;
      handlers.first(signal);
    } else if (at - firstAt >= sameWithinMs) {
      handlers.again(signal);
    }
  };
  const target = options.target ?? process;
  target.on('SIGINT', handle);
  target.on('SIGTERM', handle);
}
