import { afterEach, describe, expect, it } from 'vitest';
import { WorkerClient, WorkerError, type ExecuteRequestBody, type JobEvent } from '../../src/adapters/client/index.js';
import { ScriptedJobServer, scriptedEvents } from '../support/scripted-job-server.js';

const apiToken = 'w'.repeat(32);
const request: ExecuteRequestBody = { userRequest: 'hi', codingAssistantProvider: 'claude-code', onDisconnect: 'continue' };
const withDatabase: ExecuteRequestBody = { ...request, database: { sessionId: 'session-1', accessToken: 'db-token' } };
// Short enough that a test giving up on a source does not wait long.
const fast = { baseMs: 10, maxMs: 50 };

async function collect(events: AsyncIterable<JobEvent>): Promise<JobEvent[]> {
  const all: JobEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

const seqs = (events: JobEvent[]) => events.map((event) => event.seq);

describe('WorkerClient resumes a broken stream', () => {
  const servers: ScriptedJobServer[] = [];
  const start = async (role: 'worker' | 'db-api', token?: string) => {
    const server = await ScriptedJobServer.start(role, token);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const workerWith = async (events: JobEvent[]) => {
    const worker = await start('worker', apiToken);
    worker.addJob(events, { sessionId: 'session-1', accessToken: 'db-token' });
    return { worker, client: new WorkerClient({ baseUrl: worker.url, apiToken, retry: fast }) };
  };

  it('yields every event exactly once, in order, across two cuts, and never posts the job again', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 8));
    worker.plan({ cutAfter: 3 }, { cutAfter: 2 });
    const events = await collect(client.execute(request));
    expect(seqs(events)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events.at(-1)?.type).toBe('completed');
    expect(worker.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(worker.requests[0]!.body).toMatchObject({ onDisconnect: 'continue' });
  });

  it('asks the worker for /jobs/{id}/events with Last-Event-ID = the last seq it yielded, and the API token', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 8));
    worker.plan({ cutAfter: 3 }, { cutAfter: 2 });
    await collect(client.execute(request));
    expect(worker.eventRequests.map((r) => [r.url, r.headers['last-event-id'], r.headers.authorization])).toEqual([
      ['/jobs/job-1/events', '2', `Bearer ${apiToken}`],
      ['/jobs/job-1/events', '4', `Bearer ${apiToken}`],
    ]);
  });

  it('resumes a stream that ends cleanly before the terminal event, too', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 4));
    worker.plan({ endAfter: 2 });
    expect(seqs(await collect(client.execute(request)))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(worker.eventRequests[0]!.headers['last-event-id']).toBe('1');
  });

  it('drops events a source repeats', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 5));
    worker.plan({ cutAfter: 4 }, { repeat: 3 });
    expect(seqs(await collect(client.execute(request)))).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('waits out a worker answering 503 while it resumes', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 4));
    worker.plan({ cutAfter: 2 }, { status: 503 }, { status: 503 });
    expect(seqs(await collect(client.execute(request, { reattach: { deadlineMs: 5_000 } })))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(worker.eventRequests).toHaveLength(3);
  });

  it('falls back to the DB API with the database token and the job id once the worker answers 404', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 6));
    const db = await start('db-api');
    db.addJob(scriptedEvents('job-1', 6), { sessionId: 'session-1', accessToken: 'db-token' });
    worker.plan({ cutAfter: 3 }, { status: 404 });
    const events = await collect(client.execute(withDatabase, { reattach: { dbApi: { baseUrl: db.url } } }));
    expect(seqs(events)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(db.eventRequests.map((r) => [r.url, r.headers['last-event-id'], r.headers.authorization])).toEqual([
      ['/sessions/session-1/events?jobId=job-1', '2', 'Bearer db-token'],
    ]);
  });

  it('falls back to the DB API when the worker cannot be reached, and yields the DB API\'s WORKER_LOST verdict as the job\'s end', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 3));
    const db = await start('db-api');
    db.addJob(scriptedEvents('job-1', 3, 'error'), { sessionId: 'session-1', accessToken: 'other-token' });
    worker.plan({ cutAfter: 2 });
    const events: JobEvent[] = [];
    for await (const event of client.execute(withDatabase, { reattach: { dbApi: { baseUrl: db.url, token: 'other-token' }, fallbackAfterMs: 200 } })) {
      events.push(event);
      if (event.seq === 1) await worker.close();
    }
    expect(seqs(events)).toEqual([0, 1, 2, 3, 4]);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'WORKER_LOST', retryable: true });
    expect(db.requests).toHaveLength(1);
    expect(db.requests[0]!.headers.authorization).toBe('Bearer other-token');
  });

  it('takes the missing events from the DB API when the worker skips some (a gap)', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 6));
    const db = await start('db-api');
    db.addJob(scriptedEvents('job-1', 6), { sessionId: 'session-1', accessToken: 'db-token' });
    worker.plan({ cutAfter: 2 }, { skip: 3 });
    const events = await collect(client.execute(withDatabase, { reattach: { dbApi: { baseUrl: db.url } } }));
    expect(seqs(events)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(db.eventRequests[0]!.headers['last-event-id']).toBe('2');
  });

  it('ends with WORKER_LOST, saying what each source answered, when none can give the rest', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 6));
    const db = await start('db-api');
    worker.plan({ cutAfter: 3 }, { status: 410 });
    const seen: number[] = [];
    const error = await (async () => {
      for await (const event of client.execute(withDatabase, { reattach: { dbApi: { baseUrl: db.url } } })) seen.push(event.seq);
    })().catch((thrown: unknown) => thrown);
    expect(seen).toEqual([0, 1, 2]);
    expect(error).toBeInstanceOf(WorkerError);
    expect(error).toMatchObject({ code: 'WORKER_LOST' });
    expect((error as Error).message).toMatch(/after event 2.*410 EVENTS_GONE.*DB API.*404 NOT_FOUND/);
  });

  it('ends with WORKER_LOST naming the missing events when the only source skips some', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 6));
    worker.plan({ cutAfter: 2 }, { skip: 3 });
    await expect(collect(client.execute(request))).rejects.toMatchObject({ code: 'WORKER_LOST', message: expect.stringMatching(/skipped event 3\b/) });
  });

  it('ends with WORKER_LOST when the worker stays unreachable past fallbackAfterMs', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 6));
    worker.plan({ cutAfter: 2 });
    const started = Date.now();
    const error = await (async () => {
      for await (const event of client.execute(request, { reattach: { fallbackAfterMs: 300 } })) if (event.seq === 1) await worker.close();
    })().catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ name: 'WorkerError', code: 'WORKER_LOST', message: expect.stringMatching(/cannot be reached/) });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('with reattach: false, ends with WORKER_LOST at the first break, asking nobody', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 6));
    worker.plan({ cutAfter: 2 });
    await expect(collect(client.execute(request, { reattach: false }))).rejects.toMatchObject({ code: 'WORKER_LOST' });
    expect(worker.eventRequests).toEqual([]);
  });

  it('never reattaches after the signal aborts', async () => {
    const { worker, client } = await workerWith(scriptedEvents('job-1', 6));
    worker.plan({ holdAfter: 2 });
    const controller = new AbortController();
    const seen: number[] = [];
    const running = (async () => {
      for await (const event of client.execute(request, { signal: controller.signal })) {
        seen.push(event.seq);
        if (event.seq === 1) controller.abort();
      }
    })();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([0, 1]);
    expect(worker.eventRequests).toEqual([]);
  });
});

describe('WorkerClient.attach', () => {
  const servers: ScriptedJobServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  const setUp = async () => {
    const worker = await ScriptedJobServer.start('worker', apiToken);
    const db = await ScriptedJobServer.start('db-api');
    servers.push(worker, db);
    for (const server of [worker, db]) server.addJob(scriptedEvents('job-1', 6), { sessionId: 'session-1', accessToken: 'db-token' });
    return { worker, db, client: new WorkerClient({ baseUrl: worker.url, apiToken, retry: fast }) };
  };

  it('reads the events after `after`, with Last-Event-ID, to the terminal event', async () => {
    const { worker, client } = await setUp();
    expect(seqs(await collect(client.attach('job-1', { after: 3 })))).toEqual([4, 5, 6, 7]);
    expect(worker.eventRequests[0]!.headers['last-event-id']).toBe('3');
  });

  it('reads all of them without `after`, sending no Last-Event-ID, resumed across a cut', async () => {
    const { worker, client } = await setUp();
    worker.plan({ cutAfter: 3 });
    expect(seqs(await collect(client.attach('job-1')))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(worker.eventRequests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '2']);
  });

  it('returns at once when nothing follows `after` in an ended job (204)', async () => {
    const { client } = await setUp();
    expect(await collect(client.attach('job-1', { after: 7 }))).toEqual([]);
  });

  it('throws EVENTS_GONE when the worker no longer keeps the events (410) and no DB API is given', async () => {
    const { worker, client } = await setUp();
    worker.plan({ status: 410 });
    await expect(collect(client.attach('job-1'))).rejects.toMatchObject({ name: 'WorkerError', status: 410, code: 'EVENTS_GONE' });
  });

  it('throws NOT_FOUND for a job the worker does not know', async () => {
    const { client } = await setUp();
    await expect(collect(client.attach('job-2'))).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('reads the DB API instead when the worker answers 404', async () => {
    const { worker, db, client } = await setUp();
    worker.plan({ status: 404 });
    const events = await collect(client.attach('job-1', { after: 1, dbApi: { baseUrl: db.url, token: 'db-token', sessionId: 'session-1' } }));
    expect(seqs(events)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(db.eventRequests.map((r) => [r.url, r.headers['last-event-id']])).toEqual([['/sessions/session-1/events?jobId=job-1', '1']]);
  });

  it('refuses an `after` that is not a seq', async () => {
    const { client } = await setUp();
    await expect(collect(client.attach('job-1', { after: 1.5 }))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('reads a job\'s state and cancels it by id', async () => {
    const { worker, client } = await setUp();
    expect(await client.job('job-1')).toMatchObject({ jobId: 'job-1', status: 'completed', lastSeq: 7, terminal: { type: 'completed' } });
    expect(await client.cancelJob('job-1')).toEqual({ status: 'cancelling', jobId: 'job-1' });
    expect(worker.requests.at(-1)).toMatchObject({ method: 'POST', url: '/jobs/job-1/cancel' });
    await expect(client.job('job-2')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
