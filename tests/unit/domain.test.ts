import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { limitItem } from '../../src/domain/item-limits.js';
import { Job } from '../../src/domain/job.js';
import { Redactor } from '../../src/domain/redactor.js';
import { Secret } from '../../src/domain/secret.js';

describe('Job', () => {
  it('moves accepted -> preparing -> running -> completed and then nowhere', () => {
    const job = Job.accept('j', 'claude-code', 0);
    expect(job.moveTo('preparing').ok).toBe(true);
    expect(job.moveTo('running').ok).toBe(true);
    expect(job.moveTo('completed').ok).toBe(true);
    expect(job.isFinished).toBe(true);
    expect(job.fail('CANCELLED').ok).toBe(false);
  });

  it('refuses to skip a stage', () => {
    const job = Job.accept('j', 'claude-code', 0);
    const result = job.moveTo('completed');
    expect(result).toEqual({ ok: false, error: 'a accepted job cannot become completed' });
    expect(job.status).toBe('accepted');
  });

  it('can fail from any unfinished state, once', () => {
    const job = Job.accept('j', 'claude-code', 0);
    job.moveTo('preparing');
    expect(job.fail('TIMEOUT').ok).toBe(true);
    expect(job.snapshot().failure).toBe('TIMEOUT');
    expect(job.fail('CANCELLED').ok).toBe(false);
  });
});

describe('Secret', () => {
  it('prints as [secret] through every usual path', () => {
    const secret = new Secret('sk-ant-real');
    expect(String(secret)).toBe('[secret]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[secret]"}');
    expect(inspect({ secret })).not.toContain('sk-ant-real');
    expect(secret.reveal()).toBe('sk-ant-real');
  });
});

describe('Redactor', () => {
  it('masks every occurrence in JSON text', () => {
    const redactor = new Redactor().add('secret-value-1', undefined);
    expect(redactor.json('{"a":"x secret-value-1 y secret-value-1"}')).toBe('{"a":"x [REDACTED] y [REDACTED]"}');
    redactor.add('secret-value-1');
    redactor.remove('secret-value-1');
    expect(redactor.json('{"a":"secret-value-1"}')).toBe('{"a":"[REDACTED]"}');
    redactor.remove('secret-value-1');
    expect(redactor.json('{"a":"secret-value-1"}')).toBe('{"a":"secret-value-1"}');
  });

  it('masks values inside JSON text, escaped as JSON escapes them, keeping it valid', () => {
    const secret = 'tok"en\\with-quotes';
    const redactor = new Redactor().add(secret);
    const json = JSON.stringify({ output: `key=${secret}` });
    expect(JSON.parse(redactor.json(json))).toEqual({ output: 'key=[REDACTED]' });
  });

  it('masks the encoded forms of a secret wherever they sit in a longer encoded text', () => {
    const secret = 'sk-ant-enc/oded+key=0123456789';
    const redactor = new Redactor().add(secret);
    for (const pad of ['', 'x', 'xy', 'lead text ']) {
      const base64 = Buffer.from(`${pad}${secret} trailing`).toString('base64');
      for (const text of [base64, base64.replaceAll('+', '-').replaceAll('/', '_'), Buffer.from(secret).toString('hex'), encodeURIComponent(secret)]) {
        const masked = redactor.json(JSON.stringify({ output: text }));
        expect(masked, text).toContain('[REDACTED]');
        expect(JSON.parse(masked).output.length).toBeLessThan(text.length);
      }
    }
  });

  it('masks every token inside a credential document, each on its own', () => {
    const credentials = JSON.stringify({ claudeAiOauth: { accessToken: 'access-0123456789', refreshToken: 'refresh-0123456789', expiresAt: 1, scopes: ['user:inference'] } });
    const redactor = new Redactor().add(credentials);
    expect(redactor.json('{"a":"refresh-0123456789 and access-0123456789, user:inference"}')).toBe('{"a":"[REDACTED] and [REDACTED], user:inference"}');
    redactor.remove(credentials);
    expect(redactor.size).toBe(0);
  });

  it('ignores values too short to be credentials', () => {
    expect(new Redactor().add('abc').size).toBe(0);
  });
});

describe('DomainError', () => {
  it('keeps its code and hides the message of anything else', () => {
    expect(DomainError.from(new DomainError('TIMEOUT', 'slow')).code).toBe('TIMEOUT');
    expect(DomainError.from(new Error('/etc/passwd')).message).toBe('internal error');
    expect(new DomainError('PROVIDER_ERROR', 'x', { retryable: false }).retryable).toBe(false);
  });
});

describe('limitItem', () => {
  it('cuts long texts with a marker saying how much was left out, and leaves short ones alone', () => {
    const short = { kind: 'text' as const, text: 'hi' };
    expect(limitItem(short, 10)).toBe(short);
    expect(limitItem({ kind: 'tool_result', id: 't', ok: true, output: 'x'.repeat(25) }, 10)).toEqual({
      kind: 'tool_result',
      id: 't',
      ok: true,
      output: `${'x'.repeat(10)}\n…[truncated 15 characters]`,
    });
  });

  it('turns an oversized tool input into its cut JSON text', () => {
    const item = limitItem({ kind: 'tool_call', id: 't', name: 'Write', input: { content: 'y'.repeat(100) } }, 20);
    expect(item).toMatchObject({ kind: 'tool_call', input: expect.stringMatching(/^\{"content":"y{8}\n…\[truncated 94 characters\]$/) });
  });
});
