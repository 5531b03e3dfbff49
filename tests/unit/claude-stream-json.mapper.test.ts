import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StreamJsonMapper } from '../../src/adapters/providers/claude-code/stream-json.mapper.js';
import type { MappedOutput } from '../../src/adapters/providers/mapped-output.js';

function failureOf(mapper: StreamJsonMapper) {
  const verdict = mapper.verdict();
  return verdict?.ok === false ? verdict.error : undefined;
}

function replay(fixture: string): { mapper: StreamJsonMapper; outputs: MappedOutput[] } {
  const mapper = new StreamJsonMapper();
  const lines = readFileSync(new URL(`../fixtures/claude-code/${fixture}`, import.meta.url), 'utf8').split('\n').filter(Boolean);
  const outputs = lines.flatMap((line) => mapper.map(JSON.parse(line)));
  return { mapper, outputs };
}

const items = (outputs: MappedOutput[]) => outputs.flatMap((output) => (output.type === 'item' ? [output.item] : []));

describe('StreamJsonMapper on recorded Claude Code output', () => {
  it('maps a Write tool call, its result, the text and the usage, and succeeds', () => {
    const { mapper, outputs } = replay('claude-write.jsonl');
    expect(items(outputs).map((item) => item.kind)).toEqual(['session', 'tool_call', 'usage', 'tool_result', 'text', 'usage', 'usage']);
    expect(items(outputs)[1]).toMatchObject({ kind: 'tool_call', id: 'toolu_mock_2', name: 'Write', input: { file_path: '/scratch/ws1/hello.txt' } });
    expect(items(outputs)[3]).toMatchObject({ kind: 'tool_result', id: 'toolu_mock_2', ok: true });
    expect(items(outputs)[6]).toEqual({ kind: 'usage', inputTokens: 200, outputTokens: 24, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.0016, costSource: 'reported' });
    expect(mapper.sessionId).toBe('1869ceb7-9215-4c12-9450-5f702a2f7695');
    expect(mapper.verdict()).toEqual({
      ok: true,
      outcome: {
        sessionId: '1869ceb7-9215-4c12-9450-5f702a2f7695',
        result: 'Wrote hello.txt. mock saw 4 message(s)',
        numTurns: 2,
        usage: { inputTokens: 200, outputTokens: 24, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.0016, costSource: 'reported' },
      },
    });
  });

  it('tells the usage so far after each API response, once per message id, before the exact total of the result line', () => {
    const usage = items(replay('claude-write.jsonl').outputs).filter((item) => item.kind === 'usage');
    expect(usage).toEqual([
      { kind: 'usage', inputTokens: 100, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
      { kind: 'usage', inputTokens: 200, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
      { kind: 'usage', inputTokens: 200, outputTokens: 24, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.0016, costSource: 'reported' },
    ]);
    // One response printed as two lines (its thinking, then its text) counts once.
    const kinds = items(replay('claude-thinking-partial-messages.jsonl').outputs).map((item) => item.kind);
    expect(kinds.filter((kind) => kind === 'usage')).toHaveLength(2);
    expect(kinds.indexOf('usage')).toBe(kinds.indexOf('thinking') + 1);
  });

  it('maps thinking blocks and passes over the partial stream_event lines', () => {
    const { outputs } = replay('claude-thinking-partial-messages.jsonl');
    const kinds = items(outputs).map((item) => item.kind);
    expect(kinds).toContain('thinking');
    expect(kinds.filter((kind) => kind === 'text')).toHaveLength(1);
  });

  it('fails a 401 as PROVIDER_ERROR, not retryable, naming the status, without echoing the synthetic message as text', () => {
    const { mapper, outputs } = replay('claude-401-max-retries-0.jsonl');
    expect(items(outputs).map((item) => item.kind)).toEqual(['session', 'usage']);
    expect(mapper.verdict()?.ok).toBe(false);
    const error = failureOf(mapper);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
    expect(error?.message).toMatch(/^the model API answered 401: /);
  });

  it('reports each API retry as a notice and a final 529 as retryable', () => {
    const { mapper, outputs } = replay('claude-529-max-retries-2.jsonl');
    const notices = outputs.filter((output) => output.type === 'notice');
    expect(notices).toEqual([
      { type: 'notice', text: 'the model API answered 529 (overloaded); retry 1 of 2' },
      { type: 'notice', text: 'the model API answered 529 (overloaded); retry 2 of 2' },
    ]);
    expect(failureOf(mapper)).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true });
  });

  it('turns an unknown resume id into SESSION_NOT_FOUND', () => {
    const { mapper } = replay('claude-resume-unknown-session.jsonl');
    expect(failureOf(mapper)).toMatchObject({ code: 'SESSION_NOT_FOUND', retryable: false });
  });

  it('turns a CLI without any login into MISSING_CREDENTIALS', () => {
    const { mapper } = replay('claude-not-logged-in.jsonl');
    expect(failureOf(mapper)).toMatchObject({ code: 'MISSING_CREDENTIALS' });
  });

  it('reports a denied tool as a failed tool result while the run still succeeds', () => {
    const { mapper, outputs } = replay('claude-bash-permission-denied.jsonl');
    expect(items(outputs).find((item) => item.kind === 'tool_result')).toMatchObject({ ok: false });
    expect(mapper.verdict()?.ok).toBe(true);
  });

  it('gives no verdict when the CLI was killed before its result line', () => {
    const { mapper } = replay('claude-sigterm-during-bash.jsonl');
    expect(mapper.verdict()).toBeUndefined();
  });

  it('passes over lines it does not know', () => {
    const mapper = new StreamJsonMapper();
    for (const line of [null, 42, 'text', [], {}, { type: 'stream_event' }, { type: 'assistant', message: 'no' }]) {
      expect(mapper.map(line)).toEqual([]);
    }
  });
});
