import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CodexJsonMapper } from '../../src/adapters/providers/codex/codex-json.mapper.js';
import type { MappedOutput, UsageBaseline } from '../../src/adapters/providers/mapped-output.js';

function replay(fixture: string, baseline?: UsageBaseline) {
  const mapper = new CodexJsonMapper(baseline);
  const lines = readFileSync(new URL(`../fixtures/codex/${fixture}`, import.meta.url), 'utf8').split('\n').filter(Boolean);
  const outputs: MappedOutput[] = lines.flatMap((line) => mapper.map(JSON.parse(line)));
  return { mapper, outputs, items: outputs.flatMap((output) => (output.type === 'item' ? [output.item] : [])) };
}

const clean = { code: 0, signal: null };
const failed = { code: 1, signal: null };

describe('CodexJsonMapper, on output recorded from codex 0.169.0', () => {
  it('maps a shell write to a tool call and its result, then the answer and the usage', () => {
    const { mapper, items, outputs } = replay('codex-write-exec-command.jsonl');
    expect(items.map((item) => item.kind)).toEqual(['session', 'tool_call', 'tool_result', 'text', 'usage']);
    expect(items[1]).toMatchObject({ kind: 'tool_call', id: 'item_1', name: 'command_execution' });
    expect(items[2]).toEqual({ kind: 'tool_result', id: 'item_1', ok: true, output: '' });
    expect(outputs.find((output) => output.type === 'notice')).toMatchObject({ text: expect.stringContaining('Model metadata') });
    expect(mapper.verdict(clean, '')).toEqual({
      ok: true,
      outcome: {
        sessionId: '01a20db6-8c97-7271-b46c-9d9e3b42f615',
        result: 'Wrote hello.txt. mock saw 6 input item(s)',
        numTurns: 1,
        usage: { inputTokens: 240, outputTokens: 30 },
      },
    });
  });

  it('reports only what a resumed run spent: Codex counts usage over the whole thread', () => {
    const { mapper } = replay('codex-resume.jsonl', { inputTokens: 240, outputTokens: 30 });
    const verdict = mapper.verdict(clean, '');
    expect(verdict?.ok && verdict.outcome.usage).toEqual({ inputTokens: 120, outputTokens: 15 });
    expect(mapper.cumulativeUsage).toEqual({ inputTokens: 360, outputTokens: 45 });
  });

  it('fails a 401 as PROVIDER_ERROR, not retryable, after telling each reconnect', () => {
    const { mapper, outputs } = replay('codex-401.jsonl');
    expect(outputs.filter((output) => output.type === 'notice' && output.text.includes('Reconnecting'))).toHaveLength(5);
    const verdict = mapper.verdict(failed, '');
    expect(verdict?.ok === false && verdict.error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
    expect(verdict?.ok === false && verdict.error.message).toMatch(/^the model API answered 401: /);
  });

  it('fails a 429 it gave up on as USAGE_LIMIT and a 503 as retryable', () => {
    const limited = replay('codex-429.jsonl').mapper.verdict(failed, '');
    expect(limited?.ok === false && limited.error).toMatchObject({ code: 'USAGE_LIMIT', retryable: true });
    const unavailable = replay('codex-503.jsonl').mapper.verdict(failed, '');
    expect(unavailable?.ok === false && unavailable.error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true });
  });

  it('turns an unknown thread into SESSION_NOT_FOUND', () => {
    const mapper = new CodexJsonMapper();
    const verdict = mapper.verdict(failed, 'Error: thread/resume: thread/resume failed: no rollout found for thread id x (code -32600)');
    expect(verdict?.ok === false && verdict.error.code).toBe('SESSION_NOT_FOUND');
  });

  it('gives no verdict for a CLI that exited without finishing a turn', () => {
    expect(new CodexJsonMapper().verdict({ code: null, signal: 'SIGTERM' }, '')).toBeUndefined();
  });
});
