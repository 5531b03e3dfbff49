import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OpencodeJsonMapper } from '../../src/adapters/providers/opencode/opencode-json.mapper.js';

function replay(fixture: string) {
  const mapper = new OpencodeJsonMapper();
  const lines = readFileSync(new URL(`../fixtures/opencode/${fixture}`, import.meta.url), 'utf8').split('\n').filter(Boolean);
  const items = lines.flatMap((line) => mapper.map(JSON.parse(line))).flatMap((output) => (output.type === 'item' ? [output.item] : []));
  return { mapper, items };
}

describe('OpencodeJsonMapper, on output recorded from opencode 1.18.33', () => {
  it('maps a finished write to its call and result, sums the steps and takes the last text as the result', () => {
    const { mapper, items } = replay('opencode-write.jsonl');
    const kinds = items.map((item) => item.kind);
    expect(kinds[0]).toBe('session');
    expect(kinds).toEqual(expect.arrayContaining(['tool_call', 'tool_result', 'text', 'usage']));
    const call = items.find((item) => item.kind === 'tool_call');
    expect(call).toMatchObject({ name: 'write' });
    expect(items.find((item) => item.kind === 'tool_result')).toMatchObject({ ok: true, id: call?.kind === 'tool_call' ? call.id : '' });
    const verdict = mapper.verdict({ code: 0, signal: null }, '');
    expect(verdict?.ok && verdict.outcome.numTurns).toBe(2);
    expect(verdict?.ok && verdict.outcome.usage.inputTokens).toBeGreaterThan(0);
  });

  it('fails a 401 as not retryable, naming the status, and a 429 as USAGE_LIMIT, retryable', () => {
    const unauthorized = replay('opencode-401.jsonl').mapper.verdict({ code: 1, signal: null }, '');
    expect(unauthorized?.ok === false && unauthorized.error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
    expect(unauthorized?.ok === false && unauthorized.error.message).toMatch(/^the model API answered 401: /);
    const limited = replay('opencode-429.jsonl').mapper.verdict({ code: 1, signal: null }, '');
    expect(limited?.ok === false && limited.error).toMatchObject({ code: 'USAGE_LIMIT', retryable: true });
  });

  it('turns an unknown session into SESSION_NOT_FOUND', () => {
    const verdict = new OpencodeJsonMapper().verdict({ code: 1, signal: null }, 'Error: Session not found');
    expect(verdict?.ok === false && verdict.error.code).toBe('SESSION_NOT_FOUND');
  });
});
