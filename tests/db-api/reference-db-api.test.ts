import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbApiSessionStore, HttpDbApiPersistence } from '../../src/adapters/persistence/index.js';
import type { JobEvent } from '../../src/domain/job-event.js';
import { Secret } from '../../src/domain/secret.js';
import { describeSessionStoreContract } from '../contract/session-store.contract.js';
import { MemorySessionStore, silentLogger } from '../support/in-memory.js';
import { startReferenceDbApi, type ReferenceDbApi } from '../support/reference-db-api.js';
import { jobEvents, openEvents, run, store } from './db-api-fixture.js';
import { conforms, doc } from './openapi-conformance.js';

describe('the reference DB API on PostgreSQL (PGlite)', () => {
  let api: ReferenceDbApi;
  beforeAll(async () => {
    api = await startReferenceDbApi();
  });
  afterAll(async () => api.close());

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('has a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('answers every route as its OpenAPI document says', async () => {
    await conforms(await call('GET', '/health'), '/health', 'get');
    await conforms(await call('PATCH', `/sessions/s-doc-${run}`, { status: 'running', jobId: 'j1' }), '/sessions/{id}', 'patch');
    await conforms(await call('PATCH', `/sessions/s-doc-${run}`, { status: 'nope' }), '/sessions/{id}', 'patch');
    const chunk = { seq: 0, type: 'connected', data: { type: 'connected' }, timestamp: 't' };
    await conforms(await call('POST', `/sessions/s-doc-${run}/chunks`, { jobId: 'j1', chunks: [chunk] }), '/sessions/{id}/chunks', 'post');
    await conforms(await call('POST', `/sessions/s-doc-${run}/chunks`, { chunks: 'x' }), '/sessions/{id}/chunks', 'post');
    await conforms(await call('GET', `/sessions/s-doc-${run}/chunks`), '/sessions/{id}/chunks', 'get');
    await conforms(await call('GET', `/sessions/s-doc-${run}/snapshot`), '/sessions/{id}/snapshot', 'get');
    const snapshot = { session: { provider: 'claude-code', providerSessionId: 'p1' }, artifacts: [], savedAt: 1 };
    await conforms(await call('PUT', `/sessions/s-doc-${run}/snapshot`, snapshot), '/sessions/{id}/snapshot', 'put');
    await conforms(await call('GET', `/sessions/s-doc-${run}/snapshot`), '/sessions/{id}/snapshot', 'get');
    const work = { ...snapshot, work: { baseCommit: 'c0ffee', patch: 'AAAA', bytes: 3 } };
    await conforms(await call('PUT', `/sessions/s-doc-${run}/snapshot`, work), '/sessions/{id}/snapshot', 'put');
    await conforms(await call('GET', `/sessions/s-doc-${run}/snapshot`), '/sessions/{id}/snapshot', 'get');
    await conforms(await call('PUT', `/sessions/s-doc-${run}/lease`, { jobId: 'j1', ttlMs: 60_000 }), '/sessions/{id}/lease', 'put');
    await conforms(await call('PUT', `/sessions/s-doc-${run}/lease`, { jobId: 'j1', ttlMs: 1 }), '/sessions/{id}/lease', 'put');
    await conforms(await call('GET', `/sessions/s-doc-${run}`), '/sessions/{id}', 'get');
    await conforms(await call('DELETE', `/sessions/s-doc-${run}/lease?jobId=j1`), '/sessions/{id}/lease', 'delete');
    await conforms(await call('DELETE', `/sessions/s-doc-${run}/lease?jobId=j1`), '/sessions/{id}/lease', 'delete');
    await conforms(await call('DELETE', `/sessions/s-doc-${run}/lease`), '/sessions/{id}/lease', 'delete');
    await store(api, `s-doc-${run}`, 'j1', jobEvents('j1', 1, 1, true));
    await conforms(await openEvents(api, `s-doc-${run}`, '?after=0'), '/sessions/{id}/events', 'get');
    await conforms(await openEvents(api, `s-doc-${run}`, '?after=1'), '/sessions/{id}/events', 'get');
    await conforms(await openEvents(api, `s-doc-${run}`, '?after=x'), '/sessions/{id}/events', 'get');
    await conforms(await openEvents(api, `s-doc-${run}`, '?jobId=j9'), '/sessions/{id}/events', 'get');
    await conforms(await call('PUT', `/sessions/s-doc-${run}/lease`, { jobId: 'j1', ttlMs: 60_000 }), '/sessions/{id}/lease', 'put');
    await conforms(await call('DELETE', `/sessions/s-doc-${run}`), '/sessions/{id}', 'delete');
    await conforms(await call('DELETE', `/sessions/s-doc-${run}`), '/sessions/{id}', 'delete');
    await conforms(await call('GET', `/sessions/s-doc-${run}`), '/sessions/{id}', 'get');
  });

  it('documents every route it serves', () => {
    const served = api.app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    for (const route of served) {
      const [method, path] = route.split(' ');
      expect(doc.paths[path!]?.[method!], route).toBeDefined();
    }
  });

  it('refuses requests without the bearer token', async () => {
    expect((await fetch(`${api.url}/sessions/s/chunks`)).status).toBe(401);
  });

  it('stores what the worker adapter records, in seq order, each once', async () => {
    const recorder = new HttpDbApiPersistence(
      { baseUrl: api.url, batchSize: 40, batchIntervalMs: 5, bufferMax: 10_000, requestTimeoutMs: 5000, baseMs: 10, maxMs: 100 },
      silentLogger,
    ).open('job-7', { sessionId: `s-adapter-${run}`, accessToken: new Secret(api.token) });
    const events: JobEvent[] = Array.from({ length: 300 }, (_, seq) => ({ type: 'message', seq, jobId: 'job-7', timestamp: 't', stage: 'provider', text: `e${seq}` }));
    for (const event of events) recorder.record(event, JSON.stringify(event));
    expect(await recorder.close(AbortSignal.timeout(10_000))).toEqual({ stored: 300, dropped: 0 });
    // A retried batch stores nothing twice.
    await call('POST', `/sessions/s-adapter-${run}/chunks`, { jobId: 'job-7', chunks: [{ seq: 3, type: 'message', data: { dup: true }, timestamp: 't' }] });
    const { chunks } = (await (await call('GET', `/sessions/s-adapter-${run}/chunks`)).json()) as { chunks: Array<{ seq: number; data: unknown }> };
    expect(chunks.map((chunk) => chunk.data)).toEqual(events);
  });
});

describe('sessions in the DB API', () => {
  let api: ReferenceDbApi;
  beforeAll(async () => {
    api = await startReferenceDbApi();
  });
  afterAll(async () => api.close());
  let n = 0;
  describeSessionStoreContract({
    name: 'DbApiSessionStore against the reference server',
    async create() {
      const settings = { baseUrl: api.url, requestTimeoutMs: 5000, baseMs: 10, maxMs: 100 };
      return {
        store: new DbApiSessionStore(settings, new MemorySessionStore(), silentLogger),
        target: { sessionId: `db-session-${run}-${++n}`, accessToken: new Secret(api.token) },
        close: async () => undefined,
      };
    },
  });
});
