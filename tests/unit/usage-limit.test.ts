import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StreamJsonMapper } from '../../src/adapters/providers/claude-code/stream-json.mapper.js';
import { codexEnv } from '../../src/adapters/providers/codex/codex.env.js';
import { CodexJsonMapper } from '../../src/adapters/providers/codex/codex-json.mapper.js';
import { CopilotJsonMapper } from '../../src/adapters/providers/copilot/copilot-json.mapper.js';
import { GeminiJsonMapper } from '../../src/adapters/providers/gemini/gemini-json.mapper.js';
import type { OutputMapper } from '../../src/adapters/providers/mapped-output.js';
import { OpencodeJsonMapper } from '../../src/adapters/providers/opencode/opencode-json.mapper.js';
import { retryAfterHeader, retryAfterMsIn, usageLimit, utcClockTime } from '../../src/adapters/providers/usage-limit.js';

// Output recorded on 2026-12-02 from each CLI against a scripted 429 on loopback, in TZ=UTC.
const at = (iso: string) => () => Date.parse(iso);

/** The error a mapper settles on after every line of the fixture, and the CLI's exit code. */
function failureOf(mapper: OutputMapper, fixture: string, code = 1) {
  const lines = readFileSync(new URL(`../fixtures/usage-limits/${fixture}`, import.meta.url), 'utf8').split('\n').filter(Boolean);
  for (const line of lines) mapper.map(JSON.parse(line));
  const verdict = mapper.verdict({ code, signal: null }, '');
  return verdict?.ok === false ? { code: verdict.error.code, retryable: verdict.error.retryable, message: verdict.error.message, ...verdict.error.details } : verdict;
}

describe('reset times as the CLIs print them', () => {
  const now = Date.parse('2026-12-02T15:25:00Z');

  it('reads a time of day as today in UTC, and a named day with its ordinal', () => {
    expect(utcClockTime('5:25 PM', now)).toBe('2026-12-02T17:25:00.000Z');
    expect(utcClockTime('12:05 AM', now)).toBe('2026-12-02T00:05:00.000Z');
    expect(utcClockTime('Dec 3rd, 2026 9:25 PM', now)).toBe('2026-12-03T21:25:00.000Z');
    expect(utcClockTime('Jan 1st, 2027 12:00 PM', now)).toBe('2027-01-01T12:00:00.000Z');
  });

  it('reads nothing from a time it cannot parse', () => {
    for (const text of ['later', '13:25 PM', 'Foo 3rd, 2026 9:25 PM', 'Feb 30th, 2027 9:25 PM', '5:25']) {
      expect(utcClockTime(text, now), text).toBeUndefined();
    }
  });

  it('reads retry delays in seconds and milliseconds, and Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMsIn('Suggested retry after 3600s.')).toBe(3_600_000);
    expect(retryAfterMsIn('Please retry in 39.5s.')).toBe(39_500);
    expect(retryAfterMsIn('retry after 500ms')).toBe(500);
    expect(retryAfterMsIn('Please wait and try again later.')).toBeUndefined();
    expect(retryAfterHeader('7200')).toEqual({ retryAfterMs: 7_200_000 });
    expect(retryAfterHeader('Wed, 02 Dec 2026 17:28:07 GMT')).toEqual({ resetAt: '2026-12-02T17:28:07.000Z' });
    expect(retryAfterHeader('soon')).toEqual({});
  });

  it('keeps a reset still ahead and drops one already past', () => {
    expect(usageLimit('x', { resetAt: '2026-12-02T17:25:00.000Z', retryAfterMs: 1000 }, now)).toMatchObject({
      code: 'USAGE_LIMIT',
      retryable: true,
      details: { resetAt: '2026-12-02T17:25:00.000Z', retryAfterMs: 1000 },
    });
    expect(usageLimit('x', { resetAt: '2026-12-02T15:24:00.000Z' }, now).details).toEqual({});
  });
});

describe('Claude Code 2.1.197: the rate_limit_event of an OAuth account dates the reset', () => {
  it('ends a five-hour session limit with USAGE_LIMIT and its resetsAt', () => {
    expect(failureOf(new StreamJsonMapper(at('2026-12-02T15:21:38Z')), 'claude-oauth-five-hour.jsonl')).toEqual({
      code: 'USAGE_LIMIT',
      retryable: true,
      message: "the provider account is over its usage or rate limit: You've hit your session limit · resets 5:21pm (UTC)",
      resetAt: '2026-12-02T17:21:37.000Z',
    });
  });

  it('reads a weekly limit the same way', () => {
    expect(failureOf(new StreamJsonMapper(at('2026-12-02T15:35:00Z')), 'claude-oauth-seven-day.jsonl')).toMatchObject({
      code: 'USAGE_LIMIT',
      resetAt: '2026-12-05T15:35:32.000Z',
    });
  });

  it('drops a reset already past', () => {
    expect(failureOf(new StreamJsonMapper(at('2026-12-06T00:00:00Z')), 'claude-oauth-seven-day.jsonl')).not.toHaveProperty('resetAt');
  });

  it('gives no time for a rejection without resetsAt, nor for an API key, whose 429 prints none', () => {
    const plain = failureOf(new StreamJsonMapper(), 'claude-oauth-no-reset.jsonl');
    expect(plain).toMatchObject({ code: 'USAGE_LIMIT', retryable: true, message: expect.stringContaining('Server is temporarily limiting requests') });
    expect(plain).not.toHaveProperty('resetAt');
    const apiKey = failureOf(new StreamJsonMapper(), 'claude-api-key-429.jsonl');
    expect(apiKey).toMatchObject({ code: 'USAGE_LIMIT', message: expect.stringContaining('API Error: Request rejected (429)') });
    expect(apiKey).not.toHaveProperty('resetAt');
  });
});

describe('Codex 0.169.0: "try again at <time>" in UTC', () => {
  const codex = (now: string) => new CodexJsonMapper(undefined, at(now));

  it('dates a time of day today', () => {
    for (const fixture of ['codex-usage-limit-today.jsonl', 'codex-usage-limit-no-plan.jsonl']) {
      expect(failureOf(codex('2026-12-02T15:25:10Z'), fixture), fixture).toMatchObject({
        code: 'USAGE_LIMIT',
        retryable: true,
        message: expect.stringContaining('You’ve hit your usage limit.'),
        resetAt: '2026-12-02T17:25:00.000Z',
      });
    }
  });

  it('reads a named later day', () => {
    expect(failureOf(codex('2026-12-02T15:26:00Z'), 'codex-usage-limit-next-day.jsonl')).toMatchObject({ code: 'USAGE_LIMIT', resetAt: '2026-12-03T21:25:00.000Z' });
  });

  it('drops a time already past', () => {
    expect(failureOf(codex('2026-12-02T18:00:00Z'), 'codex-usage-limit-today.jsonl')).not.toHaveProperty('resetAt');
  });

  it('ends an exhausted quota and a 429 it gave up retrying with USAGE_LIMIT, without a time', () => {
    const quota = failureOf(codex('2026-12-02T15:25:00Z'), 'codex-insufficient-quota.jsonl');
    expect(quota).toMatchObject({ code: 'USAGE_LIMIT', message: expect.stringContaining('Quota exceeded. Check your plan and billing details.') });
    expect(quota).not.toHaveProperty('resetAt');
    expect(failureOf(codex('2026-12-02T15:25:00Z'), 'codex-429-retried.jsonl')).toMatchObject({ code: 'USAGE_LIMIT', retryable: true });
  });

  it('runs the CLI in UTC, so that its reset time can be read back', () => {
    expect(codexEnv({ home: '/h', codexHome: '/h/.codex', path: '/bin', lang: 'C.UTF-8' }).TZ).toBe('UTC');
  });
});

describe('Gemini CLI 0.61.0: "Suggested retry after Ns."', () => {
  it('ends a quota with USAGE_LIMIT and the suggested delay', () => {
    expect(failureOf(new GeminiJsonMapper(), 'gemini-retry-after-3600s.jsonl', 173)).toMatchObject({
      code: 'USAGE_LIMIT',
      retryable: true,
      message: expect.stringContaining('Resource has been exhausted'),
      retryAfterMs: 3_600_000,
    });
    expect(failureOf(new GeminiJsonMapper(), 'gemini-retry-after-2s.jsonl', 173)).toMatchObject({ code: 'USAGE_LIMIT', retryAfterMs: 2000 });
  });

  it('ends a daily quota with USAGE_LIMIT and no time, even without the exit code', () => {
    const daily = failureOf(new GeminiJsonMapper(), 'gemini-daily-quota.jsonl', 1);
    expect(daily).toMatchObject({ code: 'USAGE_LIMIT', message: expect.stringContaining('You have exhausted your daily quota on this model.') });
    expect(daily).not.toHaveProperty('retryAfterMs');
  });
});

describe('opencode 1.18.33: the response headers and body of the last 429', () => {
  it('ends an exhausted quota with USAGE_LIMIT and the longer of retry-after-ms and retry-after', () => {
    expect(failureOf(new OpencodeJsonMapper(at('2026-12-02T15:28:07Z')), 'opencode-insufficient-quota.jsonl')).toEqual({
      code: 'USAGE_LIMIT',
      retryable: true,
      message: 'the provider account is over its usage or rate limit: You exceeded your current quota, please check your plan and billing details.',
      retryAfterMs: 7_200_000,
    });
    expect(failureOf(new OpencodeJsonMapper(), 'opencode-retry-after-3.jsonl')).toMatchObject({ code: 'USAGE_LIMIT', retryAfterMs: 3000 });
  });

  it('reads resets_at from the body and a Retry-After date', () => {
    const line = (headers: Record<string, string>, body: object) => ({
      type: 'error',
      sessionID: 'ses_x',
      error: { name: 'APIError', data: { message: 'The usage limit has been reached', statusCode: 429, responseHeaders: headers, responseBody: JSON.stringify(body) } },
    });
    const epoch = new OpencodeJsonMapper(at('2026-12-02T15:28:07Z'));
    epoch.map(line({}, { error: { type: 'usage_limit_reached', resets_at: 1796232097 } }));
    expect(epoch.verdict({ code: 1, signal: null }, '')).toMatchObject({ ok: false, error: { code: 'USAGE_LIMIT', details: { resetAt: '2026-12-02T17:21:37.000Z' } } });
    const dated = new OpencodeJsonMapper(at('2026-12-02T15:28:07Z'));
    dated.map(line({ 'retry-after': 'Wed, 02 Dec 2026 17:28:07 GMT' }, { error: { type: 'rate_limit_exceeded' } }));
    expect(dated.verdict({ code: 1, signal: null }, '')).toMatchObject({ ok: false, error: { details: { resetAt: '2026-12-02T17:28:07.000Z' } } });
  });
});

describe('Copilot CLI 1.0.102: session.error "rate_limit", no reset time on BYOK', () => {
  const copilot = () => new CopilotJsonMapper({ sessionId: 'preset-id', readUsage: () => undefined });

  it('ends a 429 it gave up on at once, and one it retried five times, with USAGE_LIMIT', () => {
    expect(failureOf(copilot(), 'copilot-quota-retry-after-3600.jsonl')).toEqual({
      code: 'USAGE_LIMIT',
      retryable: true,
      message: 'the provider account is over its usage or rate limit: 429 You exceeded your current quota, please check your plan and billing details.',
    });
    expect(failureOf(copilot(), 'copilot-quota-retried.jsonl')).toMatchObject({ code: 'USAGE_LIMIT', message: expect.stringContaining('retried 5 times') });
  });

  it('keeps a 401 a PROVIDER_ERROR', () => {
    const mapper = copilot();
    mapper.map({ type: 'session.error', data: { errorType: 'authentication', message: '401 Unauthorized', statusCode: 401 } });
    expect(mapper.verdict({ code: 1, signal: null }, '')).toMatchObject({ ok: false, error: { code: 'PROVIDER_ERROR', retryable: false } });
  });
});
