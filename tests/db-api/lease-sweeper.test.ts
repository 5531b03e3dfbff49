import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { sweepExpiredLeases, workerLostMessage } from '../../src/db-api/lease-sweeper.js';
import { call, FrameReader, freshSession, jobEvent, jobEvents, openEvents, store } from './db-api-fixture.js';
import { lapse, lease, running, storedChunks, useReplicas, webhookReceiver } from './lease-fixture.js';
import { conforms } from './openapi-conformance.js';

const { replicas, closeAfter } = useReplicas();

describe('leases: a job whose worker stops renewing is recorded as lost', () => {
  it('records one WORKER_LOST when a lease lapses; a live reader gets it and its stream ends', async () => {
    const [a, b] = await replicas(2, { leaseSweepMs: 20 });
    const session = freshSession('lost');
    await call(a!, 'PATCH', `/sessions/${session}`, { status: 'running', jobId: 'j1' });
    await store(a!, session, 'j1', running('j1'));
    const held = await lease(a!, session, { jobId: 'j1', ttlMs: 1000 });
    expect(held.status).toBe(200);
    const reader = new FrameReader(await openEvents(b!, session));
    await reader.eventsThrough(3);

    const [lost, ...after] = await reader.rest();
    expect(after).toEqual([]);
    expect(lost!.id).toBe('4');
    expect(lost!.event).toBe('error');
    expect(lost!.data).toEqual({
      type: 'error',
      seq: 4,
      jobId: 'j1',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      code: 'WORKER_LOST',
      message: workerLostMessage,
      retryable: true,
      sessionId: 'provider-session-1',
    });
    expect((await storedChunks(a!, session)).filter((chunk) => chunk.type === 'error')).toHaveLength(1);
    const state = await call(a!, 'GET', `/sessions/${session}`);
    expect(await state.clone().json()).toMatchObject({ status: 'error', jobId: 'j1', jobs: [{ jobId: 'j1', events: 5, lastSeq: 4, ended: true }] });
    expect(await state.clone().json()).not.toHaveProperty('lease');
    await conforms(state, '/sessions/{id}', 'get');
    // Its worker, if it was only cut off, learns the job is over when it renews.
    const late = await lease(b!, session, { jobId: 'j1', ttlMs: 1000 });
    expect(late.status).toBe(409);
    await conforms(late, '/sessions/{id}/lease', 'put');
  });

  it('records it at most once however many sweepers race for it', async () => {
    const apis = await replicas(2);
    const sessions = Array.from({ length: 5 }, () => freshSession('race'));
    for (const session of sessions) {
      await store(apis[0]!, session, 'j1', running('j1'));
      expect((await lease(apis[0]!, session, { jobId: 'j1', ttlMs: 600_000 })).status).toBe(200);
      await lapse(apis[0]!.sql, session);
    }
    const sweeps = await Promise.all(Array.from({ length: 12 }, (_, i) => sweepExpiredLeases(apis[i % 2]!.sql)));
    const lost = sweeps.flat().filter((job) => sessions.includes(job.sessionId));
    expect(lost.map((job) => job.sessionId).sort()).toEqual([...sessions].sort());
    for (const session of sessions) {
      const errors = (await storedChunks(apis[0]!, session)).filter((chunk) => chunk.type === 'error');
      expect(errors.map((chunk) => chunk.seq)).toEqual([4]);
    }
  });

  it('never lapses a lease renewed in time', async () => {
    const [api] = await replicas(1, { leaseSweepMs: 20 });
    const session = freshSession('renewed');
    await store(api!, session, 'j1', running('j1'));
    // Renewed every ttl/5 for longer than the TTL: without the renewals it would lapse.
    for (let renewal = 0; renewal < 8; renewal++) {
      expect((await lease(api!, session, { jobId: 'j1', ttlMs: 1000 })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await store(api!, session, 'j1', [jobEvent('j1', 4, 'completed', { sessionId: 'provider-session-1' })]);
    await call(api!, 'PATCH', `/sessions/${session}`, { status: 'completed', jobId: 'j1' });
    expect((await storedChunks(api!, session)).map((chunk) => chunk.type)).toEqual(['connected', 'assistant_message', 'assistant_message', 'message', 'completed']);
    expect(await (await call(api!, 'GET', `/sessions/${session}`)).json()).not.toHaveProperty('lease');
  });

  it('records nothing for a job whose terminal event was stored before its lease lapsed, and drops the lease', async () => {
    const [api] = await replicas(1);
    const session = freshSession('ended');
    await store(api!, session, 'j1', jobEvents('j1', 0, 2, true));
    // A worker that stored its last event but died before releasing its lease.
    await api!.sql.query(`insert into leases (session_id, job_id, expires_at) values ($1, 'j1', now() - interval '1 second')`, [session]);
    expect((await sweepExpiredLeases(api!.sql)).filter((job) => job.sessionId === session)).toEqual([]);
    expect((await storedChunks(api!, session)).map((chunk) => chunk.type)).toEqual(['message', 'message', 'completed']);
    expect(await (await call(api!, 'GET', `/sessions/${session}`)).json()).not.toHaveProperty('lease');
  });

  it('releases a lease on PATCH completed or error, and on DELETE', async () => {
    const [api] = await replicas(1);
    const session = freshSession('release');
    const held = await lease(api!, session, { jobId: 'j1', ttlMs: 60_000 });
    const body = (await held.clone().json()) as { jobId: string; expiresAt: string };
    expect(body.jobId).toBe('j1');
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    await conforms(held, '/sessions/{id}/lease', 'put');
    expect(await (await call(api!, 'GET', `/sessions/${session}`)).json()).toMatchObject({ lease: { jobId: 'j1', expiresAt: body.expiresAt } });
    await call(api!, 'PATCH', `/sessions/${session}`, { status: 'running', jobId: 'j1' });
    expect(await (await call(api!, 'GET', `/sessions/${session}`)).json()).toHaveProperty('lease');
    await call(api!, 'PATCH', `/sessions/${session}`, { status: 'error', jobId: 'j1' });
    expect(await (await call(api!, 'GET', `/sessions/${session}`)).json()).not.toHaveProperty('lease');

    await lease(api!, session, { jobId: 'j2', ttlMs: 60_000 });
    const released = await call(api!, 'DELETE', `/sessions/${session}/lease?jobId=j2`);
    expect(released.status).toBe(204);
    await conforms(released, '/sessions/{id}/lease', 'delete');
    const again = await call(api!, 'DELETE', `/sessions/${session}/lease?jobId=j2`);
    expect(again.status).toBe(404);
    await conforms(again, '/sessions/{id}/lease', 'delete');
    const unnamed = await call(api!, 'DELETE', `/sessions/${session}/lease`);
    expect(unnamed.status).toBe(400);
    await conforms(unnamed, '/sessions/{id}/lease', 'delete');
  });

  it('answers 400 naming the field for a lease it cannot take', async () => {
    const [api] = await replicas(1);
    const session = freshSession('invalid');
    const cases: Array<[unknown, string]> = [
      [{ jobId: 'j1', ttlMs: 999 }, 'ttlMs'],
      [{ jobId: 'j1', ttlMs: 600_001 }, 'ttlMs'],
      [{ jobId: 'j1', ttlMs: 1500.5 }, 'ttlMs'],
      [{ ttlMs: 1000 }, 'jobId'],
      [{ jobId: 'j1', ttlMs: 1000, webhook: { url: 'http://127.0.0.1:1/', secret: 'not-whsec' } }, 'webhook.secret'],
      [{ jobId: 'j1', ttlMs: 1000, webhook: { url: 'ftp://127.0.0.1/', secret: 'whsec_aGVsbG8=' } }, 'webhook.url'],
    ];
    for (const [body, field] of cases) {
      const response = await lease(api!, session, body);
      expect(response.status).toBe(400);
      expect(((await response.clone().json()) as { error: { message: string } }).error.message).toContain(field);
      await conforms(response, '/sessions/{id}/lease', 'put');
    }
  });
});

/** The DB API's log line about the webhook delivery, once it is written. */
function webhookOutcome(): { log: (line: Record<string, unknown>) => void; logged: Promise<Record<string, unknown>> } {
  let found: (line: Record<string, unknown>) => void = () => undefined;
  const logged = new Promise<Record<string, unknown>>((resolve) => (found = resolve));
  return { log: (line) => void (line.msg === 'webhook' && found(line)), logged };
}

describe('the lease webhook', () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;

  it('POSTs the WORKER_LOST event signed per Standard Webhooks, and retries it after a 503 with the same webhook-id', async () => {
    const hook = await webhookReceiver([503, 200], closeAfter);
    const outcome = webhookOutcome();
    const [api] = await replicas(1, { leaseSweepMs: 20, webhook: { baseMs: 10 }, log: outcome.log });
    const session = freshSession('hooked');
    await store(api!, session, 'j1', running('j1'));
    await lease(api!, session, { jobId: 'j1', ttlMs: 600_000, webhook: { url: hook.url, secret } });
    await lapse(api!.sql, session);

    expect(await outcome.logged).toMatchObject({ delivered: true, status: 200, sessionId: session });
    const [first, second, ...more] = await hook.received(2);
    expect(more).toEqual([]);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    const verified = new Webhook(secret).verify(second!.body, second!.headers as Record<string, string>);
    const stored = (await storedChunks(api!, session)).find((chunk) => chunk.type === 'error')!;
    expect(verified).toEqual(stored.data);
    expect(verified).toMatchObject({ code: 'WORKER_LOST', sessionId: 'provider-session-1', seq: 4 });
    expect(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(second!.body, second!.headers as Record<string, string>)).toThrow();
  });

  it('does not follow a redirect, nor retry one', async () => {
    const hook = await webhookReceiver([307], closeAfter);
    const outcome = webhookOutcome();
    const [api] = await replicas(1, { leaseSweepMs: 20, webhook: { baseMs: 10 }, log: outcome.log });
    const session = freshSession('redirected');
    await store(api!, session, 'j1', running('j1'));
    await lease(api!, session, { jobId: 'j1', ttlMs: 600_000, webhook: { url: hook.url, secret } });
    await lapse(api!.sql, session);
    expect(await outcome.logged).toMatchObject({ delivered: false, reason: 'answered 307', sessionId: session });
    expect(hook.deliveries).toHaveLength(1);
  });
});
