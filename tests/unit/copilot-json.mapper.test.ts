import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CopilotJsonMapper } from '../../src/adapters/providers/copilot/copilot-json.mapper.js';
import type { UsageBaseline } from '../../src/adapters/providers/mapped-output.js';

function replay(fixture: string, usage?: UsageBaseline, baseline?: UsageBaseline) {
  const mapper = new CopilotJsonMapper({ sessionId: 'preset-id', baseline, readUsage: () => usage });
  const lines = readFileSync(new URL(`../fixtures/copilot/${fixture}`, import.meta.url), 'utf8').split('\n').filter(Boolean);
  const outputs = lines.flatMap((line) => mapper.map(JSON.parse(line)));
  return { mapper, outputs, items: outputs.flatMap((output) => (output.type === 'item' ? [output.item] : [])) };
}

describe('CopilotJsonMapper, on output recorded from copilot 1.0.102', () => {
  it('announces the preset session first, maps the create tool, and reads usage from the usage file', () => {
    const { mapper, items } = replay('copilot-write.jsonl', { inputTokens: 240, outputTokens: 30 });
    expect(items.map((item) => item.kind)).toEqual(['session', 'tool_call', 'tool_result', 'text', 'usage']);
    // The model comes from session.tools_updated, so that the worker can price the tokens.
    expect(items[0]).toEqual({ kind: 'session', sessionId: 'preset-id', model: 'mock-model' });
    expect(items[1]).toMatchObject({ kind: 'tool_call', name: 'create' });
    expect(items[2]).toMatchObject({ kind: 'tool_result', ok: true });
    const verdict = mapper.verdict({ code: 0, signal: null }, '');
    expect(verdict?.ok && verdict.outcome).toMatchObject({ sessionId: 'preset-id', numTurns: 2, usage: { inputTokens: 240, outputTokens: 30 } });
  });

  it('reports what a resumed run spent, not the whole session', () => {
    const { mapper } = replay('copilot-resume.jsonl', { inputTokens: 360, outputTokens: 45 }, { inputTokens: 240, outputTokens: 30 });
    const verdict = mapper.verdict({ code: 0, signal: null }, '');
    expect(verdict?.ok && verdict.outcome.usage).toEqual({ inputTokens: 120, outputTokens: 15 });
  });

  it('tells each failed model call, then fails a 401 as not retryable and a 500 as retryable', () => {
    const unauthorized = replay('copilot-401.jsonl');
    expect(unauthorized.outputs.filter((output) => output.type === 'notice').length).toBeGreaterThan(0);
    const verdict = unauthorized.mapper.verdict({ code: 1, signal: null }, '');
    expect(verdict?.ok === false && verdict.error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
    const server = replay('copilot-500.jsonl').mapper.verdict({ code: 1, signal: null }, '');
    expect(server?.ok === false && server.error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true });
  });

  it('turns an unknown session into SESSION_NOT_FOUND', () => {
    const verdict = new CopilotJsonMapper({ sessionId: 'x', readUsage: () => undefined }).verdict(
      { code: 1, signal: null },
      "Error: No session, task, or name matched 'x'.",
    );
    expect(verdict?.ok === false && verdict.error.code).toBe('SESSION_NOT_FOUND');
  });
});
