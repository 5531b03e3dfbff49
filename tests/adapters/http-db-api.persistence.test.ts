import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpDbApiPersistence } from '../../src/adapters/persistence/index.js';
import type { JobEvent } from '../../src/domain/job-event.js';
import { Secret } from '../../src/domain/secret.js';
import { startFaultDbApi, type FaultDbApi } from '../support/fault-db-api.js';
import { silentLogger } from '../support/in-memory.js';

const events = (n: number): JobEvent[] =>
  Array.from({ length: n }, (_, seq) =>
    seq === n - 1
      ? { type: 'completed', seq, jobId: 'job-1', timestamp: 't', sessionId: 's', result: 'ok', durationMs: 1, numTurns: 1, usage: { inputTokens: 1, outputTokens: 1 }, stopReason: 'finished' }
      : { type: 'message', seq, jobId: 'job-1', timestamp: 't', stage: 'provider', text: `event ${seq}` },
  );

describe('HttpDbApiPersistence against a DB API with faults', () => {
  let api: FaultDbApi;
  beforeEach(async () => {
    api = await startFaultDbApi();
  });
  afterEach(async () => api.close());

  const persistence = (overrides: Partial<ConstructorParameters<typeof HttpDbApiPersistence>[0]> = {}) =>
    new HttpDbApiPersistence(
      { baseUrl: api.url, batchSize: 50, batchIntervalMs: 5, bufferMax: 100_000, requestTimeoutMs: 2000, baseMs: 10, maxMs: 100, ...overrides },
      silentLogger,
    );
  const target = () => ({ sessionId: 'session-1', accessToken: new Secret(api.token) });

  async function record(n: number, flushMs = 10_000, overrides = {}) {
    const recorder = persistence(overrides).open('job-1', target());
    const sent = events(n);
    for (const event of sent) recorder.record(event, JSON.stringify(event));
    const report = await recorder.close(AbortSignal.timeout(flushMs));
    return { sent, report };
  }

  const expectExactly = (sent: JobEvent[]) =>
    expect(api.chunks('session-1').map((chunk) => chunk.data)).toEqual(sent);

  it('stores every event, in order, in batches', async () => {
    const { sent, report } = await record(500);
    expectExactly(sent);
    expect(report).toEqual({ stored: 500, dropped: 0 });
    expect(api.requests.filter((r) => r.method === 'POST').length).toBeLessThanOrEqual(12);
    expect(api.statuses('session-1')).toEqual(['running', 'completed']);
  });

  it('keeps going through 500s for 2 s', async () => {
    api.fault({ kind: 'status', status: 500, untilMs: Date.now() + 2000 });
    const { sent, report } = await record(120);
    expectExactly(sent);
    expect(report.dropped).toBe(0);
  });

  it('honours Retry-After on 429', async () => {
    api.fault({ kind: 'status', status: 429, retryAfter: '0', times: 3 });
    const { sent } = await record(60);
    expectExactly(sent);
  });

  it('retries a connection reset mid-batch without duplicating', async () => {
    api.fault({ kind: 'reset', times: 2 });
    const { sent } = await record(200);
    expectExactly(sent);
  });

  it('waits out a slow API', async () => {
    api.fault({ kind: 'slow', delayMs: 300, times: 2 });
    const { sent } = await record(80);
    expectExactly(sent);
  });

  it('stores everything when the API is down at the start and comes up', async () => {
    await api.stop();
    const recorder = persistence().open('job-1', target());
    const sent = events(100);
    for (const event of sent) recorder.record(event, JSON.stringify(event));
    await api.start();
    expect(await recorder.close(AbortSignal.timeout(10_000))).toEqual({ stored: 100, dropped: 0 });
    expectExactly(sent);
  });

  it('gives up at the flush deadline when the API stays down, counting what it dropped', async () => {
    await api.stop();
    const { report } = await record(70, 300);
    expect(report).toEqual({ stored: 0, dropped: 70 });
  });

  it('never retries a 4xx refusal other than 408 and 429', async () => {
    api.fault({ kind: 'status', status: 403, times: 100 });
    const { report } = await record(10);
    expect(report).toEqual({ stored: 0, dropped: 10 });
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('drops and counts what does not fit its buffer', async () => {
    await api.stop();
    const recorder = persistence({ bufferMax: 10 }).open('job-1', target());
    for (const event of events(25)) recorder.record(event, JSON.stringify(event));
    await api.start();
    expect(await recorder.close(AbortSignal.timeout(10_000))).toEqual({ stored: 10, dropped: 15 });
  });

  it('sends its token only as the bearer token of the DB API', async () => {
    await record(5);
    expect(api.requests.every((r) => r.authorization === `Bearer ${api.token}` && !r.path.includes(api.token))).toBe(true);
  });
});
