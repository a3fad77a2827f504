import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onStopSignals } from '../../cli/stop-signals.js';

function harness() {
  const target = new EventEmitter();
  let clock = 0;
  const calls: string[] = [];
  onStopSignals(
    { first: (s) => calls.push(`first ${s}`), again: (s) => calls.push(`again ${s}`) },
    { target: target as unknown as Pick<NodeJS.Process, 'on'>, now: () => clock },
  );
  return {
    calls,
    send(signal: NodeJS.Signals, atMs: number) {
      clock = atMs;
      target.emit(signal, signal);
    },
  };
}

describe('onStopSignals', () => {
  it('stops gracefully on the first Ctrl-C and at once on a later one', () => {
    const h = harness();
    h.send('SIGINT', 0);
    h.send('SIGINT', 5_000);
    expect(h.calls).toEqual(['first SIGINT', 'again SIGINT']);
  });

  it('counts the copy npm forwards of the same Ctrl-C as one press', () => {
    const h = harness();
    h.send('SIGINT', 0);
    h.send('SIGINT', 3);
    expect(h.calls).toEqual(['first SIGINT']);
    h.send('SIGINT', 999);
    expect(h.calls).toEqual(['first SIGINT']);
    h.send('SIGINT', 1_000);
    expect(h.calls).toEqual(['first SIGINT', 'again SIGINT']);
  });

  it('treats SIGTERM as SIGINT', () => {
    const h = harness();
    h.send('SIGTERM', 0);
    h.send('SIGINT', 2_000);
    expect(h.calls).toEqual(['first SIGTERM', 'again SIGINT']);
  });
});
