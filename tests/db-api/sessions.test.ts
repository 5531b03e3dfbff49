import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceDbApi, type ReferenceDbApi } from '../support/reference-db-api.js';
import { call, freshSession, jobEvents, openEvents, store } from './db-api-fixture.js';
import { conforms } from './openapi-conformance.js';

const snapshot = { session: { provider: 'claude-code', providerSessionId: 'p1', branch: 'main' }, artifacts: [{ name: 'transcript.jsonl', content: '{}' }], savedAt: 1 };

describe('GET and DELETE /sessions/{id}, and snapshots with work', () => {
  let api: ReferenceDbApi;
  beforeAll(async () => {
    api = await startReferenceDbApi();
  });
  afterAll(async () => api.close());

  it('tells what is known of a session: status, jobs in the order they started, snapshot, lease', async () => {
    const session = freshSession('known');
    await store(api, session, 'j1', jobEvents('j1', 0, 3, true));
    await store(api, session, 'j2', jobEvents('j2', 0, 1));
    await call(api, 'PATCH', `/sessions/${session}`, { status: 'running', jobId: 'j2' });
    await call(api, 'PUT', `/sessions/${session}/snapshot`, snapshot);
    const { expiresAt } = (await (await call(api, 'PUT', `/sessions/${session}/lease`, { jobId: 'j2', ttlMs: 60_000 })).json()) as { expiresAt: string };
    const response = await call(api, 'GET', `/sessions/${session}`);
    const body = (await response.clone().json()) as { updatedAt: string };
    expect(body).toEqual({
      id: session,
      status: 'running',
      jobId: 'j2',
      updatedAt: expect.any(String),
      jobs: [
        { jobId: 'j1', events: 4, lastSeq: 3, ended: true },
        { jobId: 'j2', events: 2, lastSeq: 1, ended: false },
      ],
      snapshot: true,
      lease: { jobId: 'j2', expiresAt },
    });
    expect(new Date(body.updatedAt).toISOString()).toBe(body.updatedAt);
    await conforms(response, '/sessions/{id}', 'get');
  });

  it('knows a session from its chunks alone, with no status yet', async () => {
    const session = freshSession('chunks-only');
    await store(api, session, 'j1', jobEvents('j1', 0, 0));
    const response = await call(api, 'GET', `/sessions/${session}`);
    expect(await response.clone().json()).toEqual({ id: session, status: null, jobId: null, updatedAt: null, jobs: [{ jobId: 'j1', events: 1, lastSeq: 0, ended: false }], snapshot: false });
    await conforms(response, '/sessions/{id}', 'get');
  });

  it('answers 404 for a session it knows nothing of', async () => {
    const response = await call(api, 'GET', `/sessions/${freshSession('unknown')}`);
    expect(response.status).toBe(404);
    await conforms(response, '/sessions/{id}', 'get');
  });

  it('erases everything of a session, and answers 404 when there is nothing to erase', async () => {
    const session = freshSession('erase');
    const other = freshSession('kept');
    for (const id of [session, other]) {
      await store(api, id, 'j1', jobEvents('j1', 0, 2));
      await call(api, 'PATCH', `/sessions/${id}`, { status: 'running', jobId: 'j1' });
      await call(api, 'PUT', `/sessions/${id}/snapshot`, snapshot);
      await call(api, 'PUT', `/sessions/${id}/lease`, { jobId: 'j1', ttlMs: 60_000 });
    }
    const erased = await call(api, 'DELETE', `/sessions/${session}`);
    expect(erased.status).toBe(204);
    await conforms(erased, '/sessions/{id}', 'delete');
    expect((await call(api, 'GET', `/sessions/${session}`)).status).toBe(404);
    expect(await (await call(api, 'GET', `/sessions/${session}/chunks`)).json()).toEqual({ chunks: [] });
    expect((await call(api, 'GET', `/sessions/${session}/snapshot`)).status).toBe(404);
    expect((await openEvents(api, session)).status).toBe(404);
    const { rows } = await api.sql.query('select 1 from leases where session_id = $1', [session]);
    expect(rows).toEqual([]);
    const again = await call(api, 'DELETE', `/sessions/${session}`);
    expect(again.status).toBe(404);
    await conforms(again, '/sessions/{id}', 'delete');
    // Another session is untouched.
    expect(await (await call(api, 'GET', `/sessions/${other}`)).json()).toMatchObject({ jobs: [{ events: 3 }], snapshot: true, lease: { jobId: 'j1' } });
  });

  it('stores and returns a snapshot\'s work: the base commit and the base64 patch of uncommitted changes', async () => {
    const session = freshSession('work');
    const patch = Buffer.from('diff --git a/x b/x\n\0binary').toString('base64');
    const withWork = { ...snapshot, work: { baseCommit: 'a'.repeat(40), patch, bytes: 26 } };
    const saved = await call(api, 'PUT', `/sessions/${session}/snapshot`, withWork);
    expect(saved.status).toBe(204);
    const loaded = await call(api, 'GET', `/sessions/${session}/snapshot`);
    expect(await loaded.clone().json()).toEqual(withWork);
    await conforms(loaded, '/sessions/{id}/snapshot', 'get');
    // Without work, as before.
    await call(api, 'PUT', `/sessions/${session}/snapshot`, snapshot);
    expect(await (await call(api, 'GET', `/sessions/${session}/snapshot`)).json()).toEqual(snapshot);
  });

  it('refuses work whose patch is not base64 or whose size is not a count', async () => {
    const session = freshSession('bad-work');
    for (const work of [
      { baseCommit: 'abc', patch: 'not base64!', bytes: 1 },
      { baseCommit: 'abc', patch: 'AAAA', bytes: -1 },
      { patch: 'AAAA', bytes: 3 },
    ]) {
      const response = await call(api, 'PUT', `/sessions/${session}/snapshot`, { ...snapshot, work });
      expect(response.status).toBe(400);
      await conforms(response, '/sessions/{id}/snapshot', 'put');
    }
  });
});
