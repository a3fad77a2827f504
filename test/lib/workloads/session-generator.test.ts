import { describe, expect, it } from 'vitest';
import { checkEvent } from '../../../functions/shared/contract/event.js';
import { SESSION_APPS, sessionGenerator } from '../../../lib/workloads/session-generator.js';

const NOW = () => Date.UTC(2026, 11, 1);

interface Message {
  role: string;
  content: string;
}

const events = (n: number, options: Parameters<typeof sessionGenerator>[0] = {}) => {
  const g = sessionGenerator({ now: NOW, ...options });
  return Array.from({ length: n }, () => g.next());
};
const messages = (prompt: unknown): Message[] => JSON.parse(prompt as string) as Message[];

describe('sessionGenerator', () => {
  it('repeats for a seed and differs between seeds', () => {
    expect(events(50, { seed: 3 })).toEqual(events(50, { seed: 3 }));
    expect(events(50, { seed: 4 })).not.toEqual(events(50, { seed: 3 }));
  });

  it.each(SESSION_APPS.map((_, app) => app))('makes events the contract accepts (primary app %i)', (app) => {
    for (const event of events(300, { seed: app, primaryApp: app, projectId: 'acme' })) {
      const check = checkEvent(JSON.parse(JSON.stringify(event)), 'acme');
      expect(check.ok ? 'ok' : check.reason).toBe('ok');
      // Prompts are the text of chat messages, so the store keeps the line as sent.
      expect(check.ok && check.verbatim).toBe(true);
    }
  });

  it('sends one system prompt per application, of a few hundred to 1,500 characters', () => {
    const byApp = new Map<string, Set<string>>();
    for (const app of SESSION_APPS.keys())
      for (const e of events(400, { seed: 9, primaryApp: app })) {
        const name = String((e.metadata as Record<string, unknown>).app);
        const system = messages(e.prompt)[0];
        expect(system?.role).toBe('system');
        byApp.set(name, (byApp.get(name) ?? new Set()).add(system?.content ?? ''));
      }
    expect([...byApp.keys()].sort()).toEqual(SESSION_APPS.map((a) => a.name).sort());
    const prompts = [...byApp.values()].map((set) => [...set]);
    for (const set of prompts) {
      expect(set).toHaveLength(1);
      expect((set[0] ?? '').length).toBeGreaterThanOrEqual(300);
      expect((set[0] ?? '').length).toBeLessThanOrEqual(1_500);
    }
    expect(new Set(prompts.flat()).size).toBe(SESSION_APPS.length);
  });

  it("resends a chat's history: a later turn's prompt carries the earlier turns' messages", () => {
    const bySession = new Map<string, ReturnType<typeof events>>();
    for (const e of events(2_000, { seed: 5, primaryApp: 0, primaryShare: 1, historyTurns: 20 }))
      bySession.set(e.session_id as string, [...(bySession.get(e.session_id as string) ?? []), e]);
    const long = [...bySession.values()].filter((s) => s.length >= 3);
    expect(long.length).toBeGreaterThan(10);
    for (const session of long) {
      expect(new Set(session.map((e) => e.trace_id)).size).toBe(1);
      expect(new Set(session.map((e) => e.span_id)).size).toBe(session.length);
      for (let i = 1; i < session.length; i++) {
        const before = messages(session[i - 1]?.prompt);
        const now = messages(session[i]?.prompt);
        expect(now.length).toBeGreaterThan(before.length);
        // The previous call's user message and answer are in this prompt.
        const previousUser = before.at(-1)?.content;
        expect(now.map((m) => m.content)).toContain(previousUser);
        expect(now.map((m) => m.content)).toContain(session[i - 1]?.response);
      }
    }
  });

  it('keeps only the last historyTurns turns', () => {
    // system, at most one earlier turn (user, assistant), this user message
    for (const e of events(500, { seed: 6, primaryApp: 0, primaryShare: 1, historyTurns: 1 }))
      expect(messages(e.prompt).length).toBeLessThanOrEqual(4);
  });

  it('retrieves passages from a fixed document set and answers the agent with JSON tool calls', () => {
    const sample = [0, 1, 2, 3].flatMap((app) => events(300, { seed: 7, primaryApp: app }));
    const ids = sample.flatMap((e) => (e.prompt as string).match(/\[kb-\d{4}\]/g) ?? []);
    expect(ids.length).toBeGreaterThan(100);
    // Popular passages come back: far fewer distinct documents than retrievals.
    expect(new Set(ids).size).toBeLessThan(ids.length / 3);
    const calls = sample.filter((e) => e.name === 'chat.completion.tool_call');
    expect(calls.length).toBeGreaterThan(20);
    for (const e of calls) expect(JSON.parse(e.response as string).tool_calls[0].type).toBe('function');
    // The call after a tool call carries it and the tool's JSON result (but for calls whose
    // session the sample cut off: at most the sessions open at the end, 12 a generator).
    const prompts = sample.map((e) => messages(e.prompt));
    const followed = calls.filter((call) => {
      const id = JSON.parse(call.response as string).tool_calls[0].id as string;
      const next = prompts.find((p) =>
        p.some((m) => m.role === 'tool' && (m as Message & { tool_call_id?: string }).tool_call_id === id),
      );
      if (next === undefined) return false;
      expect(next.map((m) => m.content)).toContain(call.response);
      expect(JSON.parse(next.at(-1)?.content ?? '').ok).toBe(true);
      return true;
    });
    expect(followed.length).toBeGreaterThanOrEqual(calls.length - 4 * 12);
    expect(followed.length).toBeGreaterThan(0);
  });

  it('interleaves sessions: a batch mixes many of them, mostly of the primary application', () => {
    const batch = events(500, { seed: 8, primaryApp: 2 });
    expect(new Set(batch.map((e) => e.session_id)).size).toBeGreaterThan(30);
    const primary = batch.filter((e) => (e.metadata as Record<string, unknown>).app === 'ops-agent');
    expect(primary.length / batch.length).toBeGreaterThan(0.6);
    expect(primary.length).toBeLessThan(batch.length);
  });

  it('averages near the design’s 5.3 KB event, with a spread', () => {
    const sizes = [0, 1, 2, 3]
      .flatMap((app) => events(500, { seed: 11, primaryApp: app }))
      .map((e) => JSON.stringify(e).length)
      .sort((a, b) => a - b);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(mean).toBeGreaterThan(4_500);
    expect(mean).toBeLessThan(6_500);
    expect(sizes[Math.floor(sizes.length * 0.95)] ?? 0).toBeGreaterThan(
      2 * (sizes[Math.floor(sizes.length * 0.05)] ?? 0),
    );
  });

  it('rejects a primary application outside the catalogue', () => {
    expect(() => sessionGenerator({ primaryApp: SESSION_APPS.length })).toThrow(RangeError);
  });
});
