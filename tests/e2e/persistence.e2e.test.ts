import { afterEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startFaultDbApi, type FaultDbApi } from '../support/fault-db-api.js';
import { startReferenceDbApi } from '../support/reference-db-api.js';
import { collectEvents, postExecute, sseEvents, until } from '../support/sse-client.js';

describe('persisting a job through the DB API', () => {
  let fx: E2eFixture | undefined;
  let api: FaultDbApi | undefined;
  afterEach(async () => {
    await fx?.close();
    await api?.close();
  });

  it('stores exactly the streamed events, and the terminal event says what was stored', async () => {
    api = await startFaultDbApi();
    fx = await startE2e({ DB_BASE_URL: api.url });
    api.fault({ kind: 'status', status: 503, times: 2 });
    fx.model.script([{ kind: 'text', text: 'stored' }]);
    const events = await collectEvents(
      await postExecute(fx.worker.url, executeBody({ database: { sessionId: 'db-session-1', accessToken: api.token } }), { token: apiToken }),
    );
    const terminal = events.at(-1)!.data;
    expect(terminal).toMatchObject({ type: 'completed', persistence: { stored: events.length - 1, dropped: 0 } });
    await fx.worker.logged('job ended');
    expect(api.chunks('db-session-1').map((chunk) => chunk.data)).toEqual(events.map((event) => event.data));
    expect(api.statuses('db-session-1')).toEqual(['running', 'completed']);
    expect(fx.worker.output.join('\n')).not.toContain(api.token);
  });

  it('ends the stream normally when the database stays down, reporting what it dropped', async () => {
    api = await startFaultDbApi();
    fx = await startE2e({ DB_BASE_URL: api.url, DB_FLUSH_TIMEOUT_MS: '500' });
    await api.stop();
    fx.model.script([{ kind: 'text', text: 'unstored' }]);
    const events = await collectEvents(
      await postExecute(fx.worker.url, executeBody({ database: { sessionId: 'db-session-2', accessToken: api.token } }), { token: apiToken }),
    );
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed', persistence: { stored: 0, dropped: events.length - 1 } });
    expect(await fx.worker.logged('events not stored in the database')).toMatchObject({ stored: 0 });
  });

  it('a client that leaves while the final events are being flushed loses nothing in the database', async () => {
    api = await startFaultDbApi();
    fx = await startE2e({ DB_BASE_URL: api.url, DB_FLUSH_TIMEOUT_MS: '20000' });
    // Every write takes a second: the job is done long before its events are stored.
    api.fault({ kind: 'slow', delayMs: 1000, times: 50 });
    fx.model.script([{ kind: 'text', text: 'flushed anyway' }]);
    const controller = new AbortController();
    const events = sseEvents(
      await postExecute(fx.worker.url, executeBody({ database: { sessionId: 'db-session-leave', accessToken: api.token } }), {
        token: apiToken,
        signal: controller.signal,
      }),
    );
    // Once the assistant is done its session is saved, then the events are flushed before the
    // terminal event: the client leaves as the session's save reaches the database.
    await until(events, (event) => (event.data.item as { kind?: string } | undefined)?.kind === 'usage');
    while (!api.requests.some((request) => request.method === 'PUT' && request.path.endsWith('/snapshot'))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Meanwhile the events waiting for the database show in /metrics.
    const metrics = await (await fetch(`${fx.worker.url}/metrics`)).text();
    expect(Number(/^unified_worker_persistence_backlog (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    controller.abort();
    const ended = await fx.worker.logged('job ended');
    expect(ended, JSON.stringify(ended)).toMatchObject({ status: 'completed' });
    const stored = api.chunks('db-session-leave');
    expect(stored.at(-1)?.data).toMatchObject({ type: 'completed', result: 'flushed anyway' });
    expect(stored.map((chunk) => chunk.seq)).toEqual(stored.map((_, index) => index));
    expect(api.statuses('db-session-leave')).toEqual(['running', 'completed']);
  });

  it('refuses a database when the worker has no DB_BASE_URL', async () => {
    fx = await startE2e();
    const response = await postExecute(fx.worker.url, executeBody({ database: { sessionId: 's', accessToken: 'db-token-0123456789' } }), { token: apiToken });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { issues: [{ path: 'database' }] } });
  });
});

describe('resuming on a brand-new replica', () => {
  it('continues the session from the DB API: the model receives the first job\u2019s turns', async () => {
    const api = await startReferenceDbApi();
    const conversation = `conversation-${Math.random().toString(36).slice(2, 10)}`;
    const database = { sessionId: conversation, accessToken: api.token };
    const first = await startE2e({ DB_BASE_URL: api.url });
    try {
      first.model.script([{ kind: 'text', text: 'remembered' }]);
      const one = await collectEvents(await postExecute(first.worker.url, executeBody({ userRequest: 'remember the word kumquat', database }), { token: apiToken }));
      const sessionId = one.at(-1)!.data.sessionId as string;
      await first.worker.logged('job ended');
      await first.close();

      // Process B: its own workspace and state directory, nothing of A's on disk.
      const second = await startE2e({ DB_BASE_URL: api.url });
      try {
        second.model.script([{ kind: 'text', text: 'kumquat' }]);
        const two = await collectEvents(await postExecute(second.worker.url, executeBody({ userRequest: 'which word?', resumeSessionId: sessionId, database }), { token: apiToken }));
        expect(two.at(-1)?.data).toMatchObject({ type: 'completed', sessionId, result: 'kumquat' });
        const [turn] = second.model.mainLoopRequests();
        expect(JSON.stringify(turn!.body.messages)).toContain('remember the word kumquat');
        const stored = (await (await fetch(`${api.url}/sessions/${conversation}/chunks`, { headers: { authorization: `Bearer ${api.token}` } })).json()) as { chunks: unknown[] };
        expect(stored.chunks).toHaveLength(one.length + two.length);
      } finally {
        await second.close();
      }
    } finally {
      await api.close();
    }
  });
});
