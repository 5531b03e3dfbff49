import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CursorJsonMapper } from '../../src/adapters/providers/cursor/cursor-json.mapper.js';

function replay(fixture: string) {
  const mapper = new CursorJsonMapper();
  const lines = readFileSync(new URL(`../fixtures/cursor/${fixture}`, import.meta.url), 'utf8').split('\n').filter(Boolean);
  const items = lines.flatMap((line) => mapper.map(JSON.parse(line))).flatMap((output) => (output.type === 'item' ? [output.item] : []));
  return { mapper, items };
}

describe('CursorJsonMapper, on the documented stream-json format', () => {
  it('maps the session, each message, and each tool call with its result', () => {
    const { mapper, items } = replay('documented-write.jsonl');
    expect(items.map((item) => item.kind)).toEqual(['session', 'text', 'tool_call', 'tool_result', 'text', 'tool_call', 'tool_result']);
    expect(items[0]).toEqual({ kind: 'session', sessionId: 'c6b62c6f-7ead-4fd6-9922-e952131177ff', model: 'Claude 4 Sonnet' });
    expect(items[2]).toEqual({ kind: 'tool_call', id: 'toolu_vrtx_01NnjaR886UcE8whekg2MGJd', name: 'read', input: { path: 'README.md' } });
    expect(items[3]).toMatchObject({ kind: 'tool_result', id: 'toolu_vrtx_01NnjaR886UcE8whekg2MGJd', ok: true, output: expect.stringContaining('# Project') });
    expect(items[5]).toMatchObject({ kind: 'tool_call', name: 'write', input: { path: 'summary.txt' } });
    const verdict = mapper.verdict({ code: 0, signal: null }, '');
    expect(verdict?.ok && verdict.outcome).toEqual({
      sessionId: 'c6b62c6f-7ead-4fd6-9922-e952131177ff',
      result: "I'll read the README.md fileNow I'll create a summary file",
      numTurns: 2,
      usage: { inputTokens: 0, outputTokens: 0 },
    });
  });

  it('fails with the last stderr line when the CLI exits non-zero without a result, as documented', () => {
    const mapper = new CursorJsonMapper();
    const verdict = mapper.verdict({ code: 1, signal: null }, 'Error: 401 Unauthorized: invalid API key');
    expect(verdict?.ok === false && verdict.error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
  });

  it('reports a failed tool as a failed result', () => {
    const mapper = new CursorJsonMapper();
    const [output] = mapper.map({
      type: 'tool_call',
      subtype: 'completed',
      call_id: 'c1',
      tool_call: { readToolCall: { args: { path: 'missing.txt' }, result: { error: { error: 'File not found' } } } },
      session_id: 's',
    });
    expect(output).toEqual({ type: 'item', item: { kind: 'tool_result', id: 'c1', ok: false, output: 'File not found' } });
  });
});
