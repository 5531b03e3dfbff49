import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GeminiJsonMapper } from '../../src/adapters/providers/gemini/gemini-json.mapper.js';
import type { MappedOutput } from '../../src/adapters/providers/mapped-output.js';

function replay(fixture: string) {
  const mapper = new GeminiJsonMapper();
  const lines = readFileSync(new URL(`../fixtures/gemini/${fixture}`, import.meta.url), 'utf8').split('\n').filter(Boolean);
  const outputs: MappedOutput[] = lines.flatMap((line) => mapper.map(JSON.parse(line)));
  return { mapper, items: outputs.flatMap((output) => (output.type === 'item' ? [output.item] : [])) };
}

const failureOf = (mapper: GeminiJsonMapper, code: number) => {
  const verdict = mapper.verdict({ code, signal: null }, '');
  return verdict?.ok === false ? verdict.error : undefined;
};

describe('GeminiJsonMapper, on output recorded from gemini 0.61.0', () => {
  it('joins text deltas into one text item and maps the write to a call and its result', () => {
    const { mapper, items } = replay('gemini-write.jsonl');
    expect(items.map((item) => item.kind)).toEqual(['session', 'tool_call', 'tool_result', 'text', 'usage']);
    expect(items[1]).toMatchObject({ kind: 'tool_call', name: 'write_file', input: { file_path: '/scratch/wsg1/hello.txt' } });
    expect(items[2]).toMatchObject({ kind: 'tool_result', ok: true });
    expect(items[3]).toEqual({ kind: 'text', text: 'Wrote hello.txt. mock saw 3 content(s)' });
    const verdict = mapper.verdict({ code: 0, signal: null }, '');
    expect(verdict?.ok && verdict.outcome).toEqual({
      sessionId: 'd1133717-aea6-4467-bad6-61a752889747',
      result: 'Wrote hello.txt. mock saw 3 content(s)',
      numTurns: 2,
      usage: { inputTokens: 360, outputTokens: 45 },
    });
  });

  it('reads the status of a 401 from the message: not retryable', () => {
    expect(failureOf(replay('gemini-401.jsonl').mapper, 145)).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
  });

  it('reads the status from the exit code when the message has none: 429 is USAGE_LIMIT, 503 retryable', () => {
    const tooMany = failureOf(replay('gemini-429.jsonl').mapper, 173);
    expect(tooMany).toMatchObject({ code: 'USAGE_LIMIT', retryable: true });
    expect(failureOf(replay('gemini-503-maxAttempts-2.jsonl').mapper, 247)).toMatchObject({ retryable: true });
  });

  it('turns an unknown session into SESSION_NOT_FOUND', () => {
    const verdict = new GeminiJsonMapper().verdict({ code: 42, signal: null }, 'Error resuming session: Invalid session identifier "x".');
    expect(verdict?.ok === false && verdict.error.code).toBe('SESSION_NOT_FOUND');
  });
});
