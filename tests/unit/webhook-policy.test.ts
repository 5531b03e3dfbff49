import { describe, expect, it } from 'vitest';
import { backoffMs, retryAfterMs, verdictOf, type WebhookDeliverySettings } from '../../src/adapters/webhook/delivery-retry.js';
import { checkWebhookSecret, checkWebhookUrl, type WebhookPolicy } from '../../src/adapters/webhook/webhook-policy.js';
import { Secret } from '../../src/domain/secret.js';

const policy: WebhookPolicy = { allowedHosts: ['hooks.example.com', '*.client.test', 'api.other.test:8443'], insecureHosts: ['127.0.0.1', 'receiver.local:8080'] };
const refusal = (url: string, using = policy) => {
  const issues = checkWebhookUrl(url, using);
  expect(issues).toHaveLength(1);
  expect(issues[0]!.path).toBe('url');
  return issues[0]!.message;
};

describe('the webhook URL policy', () => {
  it.each([
    'https://hooks.example.com/job-done',
    'https://hooks.example.com:9443/job-done?client=7',
    'https://a.client.test/hook',
    'https://deep.a.client.test/hook',
    'https://api.other.test:8443/hook',
    'http://127.0.0.1:4567/hook',
    'https://127.0.0.1/hook',
    'http://receiver.local:8080/hook',
    'HTTPS://HOOKS.EXAMPLE.COM/Job',
  ])('accepts %s', (url) => {
    expect(checkWebhookUrl(url, policy)).toEqual([]);
  });

  it('refuses every webhook while no host is allowed, naming the variable to set', () => {
    expect(refusal('https://hooks.example.com/hook', { allowedHosts: [], insecureHosts: [] })).toMatch(/webhooks are off.*sets WEBHOOK_ALLOWED_HOSTS/);
  });

  it('refuses plain http to a host not in the insecure list, naming that list', () => {
    expect(refusal('http://hooks.example.com/hook')).toBe('must be https: plain http only to a host in WEBHOOK_ALLOWED_INSECURE_HOSTS, and hooks.example.com is not');
    expect(refusal('http://receiver.local:9090/hook')).toContain('WEBHOOK_ALLOWED_INSECURE_HOSTS');
  });

  it.each(['https://evil.test/hook', 'https://client.test/hook', 'https://evilclient.test/hook', 'https://hooks.example.com.evil.test/hook', 'https://api.other.test/hook'])(
    'refuses %s, a host outside the allow list, naming the list',
    (url) => {
      expect(refusal(url)).toMatch(/^host \S+ is not in this worker's WEBHOOK_ALLOWED_HOSTS$/);
    },
  );

  it('refuses credentials in the URL without repeating them', () => {
    const message = refusal('https://user:hunter2@hooks.example.com/hook');
    expect(message).toBe('must not carry credentials: the receiver checks the webhook-signature header instead');
    expect(refusal('https://token@hooks.example.com/hook')).toBe(message);
  });

  it('refuses a fragment, even an empty one', () => {
    expect(refusal('https://hooks.example.com/hook#part')).toBe('must not have a fragment');
    expect(refusal('https://hooks.example.com/hook#')).toBe('must not have a fragment');
  });

  it.each(['not a url', '', '/relative/hook', 'hooks.example.com/hook', 'ftp://hooks.example.com/hook', 'javascript:alert(1)', 'file:///etc/passwd'])(
    'refuses %j, which is no https URL',
    (url) => {
      expect(refusal(url)).toBe('must be an absolute https URL');
    },
  );
});

describe('the webhook secret', () => {
  const bytes = (n: number) => Buffer.alloc(n, 7).toString('base64');
  const check = (secret: string) => checkWebhookSecret(new Secret(secret));

  it('accepts whsec_ and base64, and plain base64 as the standardwebhooks package does', () => {
    expect(check(`whsec_${bytes(32)}`)).toEqual([]);
    expect(check(bytes(24))).toEqual([]);
  });

  it.each(['', 'whsec_', 'whsec_not base64!', `whsec_${bytes(24)}%`])('refuses %j, naming the form it takes', (secret) => {
    expect(check(secret)).toEqual([{ path: 'secret', message: 'must be a Standard Webhooks secret: whsec_ and the base64 of 24 to 64 random bytes' }]);
  });

  it('refuses fewer than 24 bytes', () => {
    expect(check(`whsec_${bytes(16)}`)).toEqual([{ path: 'secret', message: expect.stringContaining('at least 24 random bytes') }]);
  });
});

describe('the webhook retry schedule', () => {
  const settings: WebhookDeliverySettings = { maxAttempts: 5, requestTimeoutMs: 1000, baseMs: 100, maxMs: 1000 };

  it('delivers on 2xx, never follows 3xx, retries 408, 429 and 5xx, and takes any other 4xx as final', () => {
    expect([200, 202, 299].map(verdictOf)).toEqual(['delivered', 'delivered', 'delivered']);
    expect([301, 302, 307, 308].map(verdictOf)).toEqual(['redirected', 'redirected', 'redirected', 'redirected']);
    expect([408, 429, 500, 503].map(verdictOf)).toEqual(['retry', 'retry', 'retry', 'retry']);
    expect([400, 401, 404, 410, 413].map(verdictOf)).toEqual(['refused', 'refused', 'refused', 'refused', 'refused']);
  });

  it('doubles its backoff from baseMs up to maxMs, jittered below it', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffMs(attempt, settings, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffMs(3, settings, () => 0)).toBe(0);
  });

  it('honours Retry-After in seconds or as a date, at most maxMs', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('0', settings, now)).toBe(0);
    expect(retryAfterMs('0.5', settings, now)).toBe(500);
    expect(retryAfterMs('3600', settings, now)).toBe(1000);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:00 GMT', settings, now)).toBe(0);
    expect(retryAfterMs(undefined, settings, now)).toBeUndefined();
    expect(retryAfterMs('soon', settings, now)).toBeUndefined();
  });
});
