import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StandardWebhookNotifier, type StandardWebhookSettings } from '../../src/adapters/webhook/index.js';
import type { WebhookOutcome } from '../../src/application/ports/job-notifier.port.js';
import type { MetricsPort } from '../../src/application/ports/metrics.port.js';
import type { JobEvent } from '../../src/domain/job-event.js';
import { Secret } from '../../src/domain/secret.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const completed: JobEvent = {
  type: 'completed',
  seq: 7,
  jobId: 'job-1',
  timestamp: '2025-01-01T00:00:00.000Z',
  sessionId: 'session-1',
  result: 'the private answer of job-1',
  durationMs: 1200,
  numTurns: 2,
  usage: { inputTokens: 10, outputTokens: 20 },
  stopReason: 'finished',
};

const failed: JobEvent = { type: 'error', seq: 3, jobId: 'job-2', timestamp: '2025-01-01T00:00:00.000Z', code: 'PROVIDER_FAILED', message: 'the CLI exited', retryable: true };

interface LogCall {
  level: 'info' | 'warn' | 'error';
  fields: object;
  message: string;
}

function capturingLogger() {
  const calls: LogCall[] = [];
  const at = (level: LogCall['level']) => (fields: object, message: string) => void calls.push({ level, fields, message });
  return { calls, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

function countingMetrics() {
  const outcomes: WebhookOutcome[] = [];
  const none = () => undefined;
  const metrics: MetricsPort = {
    jobStarted: none,
    jobEnded: none,
    jobStopped: none,
    firstAssistantItem: none,
    repoPrepared: none,
    providerExited: none,
    eventsCoalesced: none,
    persistence: none,
    watchBacklog: none,
    webhookDelivered: (outcome) => void outcomes.push(outcome),
  };
  return { outcomes, metrics };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('StandardWebhookNotifier against a loopback receiver', () => {
  let receiver: WebhookReceiver;
  let log: ReturnType<typeof capturingLogger>;
  let counted: ReturnType<typeof countingMetrics>;
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
    log = capturingLogger();
    counted = countingMetrics();
  });
  afterEach(async () => receiver.close());

  const notifier = (overrides: Partial<StandardWebhookSettings> = {}) =>
    new StandardWebhookNotifier(
      { allowedHosts: [], insecureHosts: ['127.0.0.1'], maxAttempts: 3, requestTimeoutMs: 2000, baseMs: 1, maxMs: 5, ...overrides },
      log.logger,
      counted.metrics,
    );
  const target = (url = receiver.url, secret = receiver.secret) => ({ url, secret: new Secret(secret) });
  const notify = (event: JobEvent, overrides: Partial<StandardWebhookSettings> = {}, to = target()) =>
    notifier(overrides).notify(to, event, AbortSignal.timeout(10_000));

  it('delivers the terminal event once, as JSON signed per Standard Webhooks', async () => {
    expect(await notify(completed)).toBe('delivered');

    expect(receiver.deliveries).toHaveLength(1);
    const [delivery] = receiver.deliveries;
    expect(delivery!.path).toBe('/hooks/job-done');
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(delivery!.headers['webhook-id']).toBe('job_job-1');
    expect(delivery!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(receiver.verify(delivery!)).toEqual(completed);
    expect(counted.outcomes).toEqual(['delivered']);
    expect(log.calls).toEqual([{ level: 'info', fields: expect.objectContaining({ jobId: 'job-1', attempts: 1, status: 200 }), message: 'webhook delivered' }]);
  });

  it('delivers an error event the same way', async () => {
    expect(await notify(failed)).toBe('delivered');
    expect(receiver.verify(receiver.deliveries[0]!)).toEqual(failed);
    expect(receiver.deliveries[0]!.headers['webhook-id']).toBe('job_job-2');
  });

  it('signs with a secret given as plain base64, as the package reads it', async () => {
    expect(await notify(completed, {}, target(receiver.url, receiver.secret.slice('whsec_'.length)))).toBe('delivered');
    expect(receiver.verify(receiver.deliveries[0]!)).toEqual(completed);
  });

  it('retries after a 500 and delivers, under the same webhook-id, each attempt signed', async () => {
    receiver.script({ status: 500 }, { status: 200 });

    expect(await notify(completed)).toBe('delivered');

    expect(receiver.deliveries).toHaveLength(2);
    expect(new Set(receiver.deliveries.map((d) => d.headers['webhook-id']))).toEqual(new Set(['job_job-1']));
    for (const delivery of receiver.deliveries) expect(receiver.verify(delivery)).toEqual(completed);
    expect(counted.outcomes).toEqual(['delivered']);
    expect(log.calls[0]!.fields).toMatchObject({ attempts: 2, status: 200 });
  });

  it('retries a 429 that asks for it with Retry-After, and a 408', async () => {
    receiver.script({ status: 429, headers: { 'retry-after': '0' } }, { status: 408 }, { status: 204 });
    expect(await notify(completed)).toBe('delivered');
    expect(receiver.deliveries).toHaveLength(3);
  });

  it('retries a receiver that drops the connection, and one that never answers', async () => {
    receiver.script({ reset: true }, { hang: true }, { status: 200 });
    expect(await notify(completed, { requestTimeoutMs: 300 })).toBe('delivered');
    expect(receiver.deliveries).toHaveLength(3);
  });

  it('does not follow a 302: the Location never receives anything, and it counts as failed', async () => {
    receiver.script({ status: 302, headers: { location: receiver.urlOf('/elsewhere') } });

    expect(await notify(completed)).toBe('failed');

    expect(receiver.deliveries).toHaveLength(1);
    expect(receiver.deliveriesTo('/elsewhere')).toEqual([]);
    expect(counted.outcomes).toEqual(['failed']);
    expect(log.calls).toEqual([{ level: 'warn', fields: expect.objectContaining({ status: 302, attempts: 1 }), message: 'webhook not delivered' }]);
  });

  it('does not retry a 400, and counts it as refused', async () => {
    receiver.script({ status: 400 }, { status: 200 });
    expect(await notify(completed)).toBe('refused');
    expect(receiver.deliveries).toHaveLength(1);
    expect(counted.outcomes).toEqual(['refused']);
  });

  it('retries a refused connection, then gives up after maxAttempts', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/hook`;

    expect(await notify(completed, { maxAttempts: 3 }, target(url))).toBe('failed');

    expect(counted.outcomes).toEqual(['failed']);
    expect(log.calls).toEqual([{ level: 'warn', fields: expect.objectContaining({ attempts: 3, reason: 'ECONNREFUSED' }), message: 'webhook not delivered' }]);
  });

  it('gives up after maxAttempts 5xx answers', async () => {
    receiver.script({ status: 503 }, { status: 502 }, { status: 500 }, { status: 200 });
    expect(await notify(completed, { maxAttempts: 3 })).toBe('failed');
    expect(receiver.deliveries).toHaveLength(3);
    expect(log.calls[0]!.fields).toMatchObject({ attempts: 3, status: 500 });
  });

  it('stops waiting to retry when its signal aborts', async () => {
    receiver.script({ status: 500 });
    const stop = new AbortController();
    const outcome = notifier({ maxAttempts: 10, baseMs: 60_000, maxMs: 60_000 }).notify(target(), completed, stop.signal);
    await receiver.received(1);
    stop.abort();

    expect(await outcome).toBe('failed');
    expect(receiver.deliveries).toHaveLength(1);
  });

  it('refuses a target its policy refuses, without sending anything', async () => {
    const outcome = await notifier({ insecureHosts: [] }).notify(target(), completed, AbortSignal.timeout(10_000));

    expect(outcome).toBe('refused');
    expect(receiver.deliveries).toEqual([]);
    expect(counted.outcomes).toEqual(['refused']);
    expect(log.calls[0]!.fields).toMatchObject({ reason: expect.stringContaining('WEBHOOK_ALLOWED_HOSTS') });
  });

  it('validates a target: issues on url and secret', () => {
    expect(notifier().validate(target())).toEqual([]);
    expect(notifier().validate(target('http://example.com/hook', 'whsec_short'))).toEqual([
      { path: 'url', message: expect.stringContaining('WEBHOOK_ALLOWED_INSECURE_HOSTS') },
      { path: 'secret', message: expect.stringContaining('whsec_') },
    ]);
  });

  it('never logs the secret, the body or the URL beyond its host', async () => {
    const url = receiver.urlOf('/hooks/T0KEN-in-the-path?sig=also-private');
    receiver.script({ status: 500 }, { status: 200 }, { status: 302, headers: { location: '/x' } }, { status: 401 });
    await notify(completed, {}, target(url));
    await notify(completed, {}, target(url));
    await notify(completed, {}, target(url));
    await notify(completed, {}, target(`http://user:pass-word@127.0.0.1/hook`, receiver.secret));
    await notify(completed, { maxAttempts: 2 }, target(`http://127.0.0.1:${await closedPort()}/T0KEN`));

    const logged = JSON.stringify(log.calls);
    expect(log.calls).toHaveLength(5);
    for (const hidden of [receiver.secret, receiver.secret.slice('whsec_'.length), completed.type === 'completed' ? completed.result : '', 'T0KEN', 'also-private', 'pass-word']) {
      expect(logged).not.toContain(hidden);
    }
  });
});
