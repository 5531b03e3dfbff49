import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startReferenceDbApi, type ReferenceDbApi } from '../support/reference-db-api.js';
import { call, FrameReader, freshSession, jobEvent, jobEvents, openEvents, store } from './db-api-fixture.js';
import { conforms } from './openapi-conformance.js';

const route = '/sessions/{id}/events';

describe('GET /sessions/{id}/events: a job\'s stored events as Server-Sent Events', () => {
  let api: ReferenceDbApi;
  beforeAll(async () => {
    // A short poll, so the test of a lost notification does not wait long for the fallback.
    api = await startReferenceDbApi({ pollMs: 50 });
  });
  afterAll(async () => api.close());

  it('replays an ended job from seq 0, framed as the worker frames it, and ends after its terminal event', async () => {
    const session = freshSession('replay');
    const events = jobEvents('j1', 0, 5, true);
    await store(api, session, 'j1', events);
    const response = await openEvents(api, session);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const frames = await new FrameReader(response).rest();
    expect(frames[0]!.raw).toBe('retry: 1000\n\n');
    // The data is the stored JSON: the same value, its keys in PostgreSQL's jsonb order.
    for (const frame of frames.slice(1)) expect(frame.raw).toMatch(/^id: \d+\nevent: [a-z_]+\ndata: \{[^\n]*\}\n\n$/);
    expect(frames.slice(1).map(({ id, event, data }) => ({ id, event, data }))).toEqual(events.map((data) => ({ id: String(data.seq), event: data.type, data })));
  });

  it('replays after Last-Event-ID, and after ?after=, each event once and without gaps', async () => {
    const session = freshSession('resume');
    await store(api, session, 'j1', jobEvents('j1', 0, 9, true));
    const afterHeader = await new FrameReader(await openEvents(api, session, '', { 'last-event-id': '3' })).rest();
    expect(afterHeader.filter((frame) => frame.data).map((frame) => frame.data!.seq)).toEqual([4, 5, 6, 7, 8, 9]);
    const afterQuery = await new FrameReader(await openEvents(api, session, '?after=6')).rest();
    expect(afterQuery.filter((frame) => frame.data).map((frame) => frame.id)).toEqual(['7', '8', '9']);
    // An EventSource reconnects to the URL it began with: its Last-Event-ID is the later word.
    const both = await new FrameReader(await openEvents(api, session, '?after=1', { 'last-event-id': '8' })).rest();
    expect(both.filter((frame) => frame.data).map((frame) => frame.data!.seq)).toEqual([9]);
  });

  it('follows chunks the worker stores while a client reads, and ends after the terminal event', async () => {
    const session = freshSession('live');
    await store(api, session, 'j1', jobEvents('j1', 0, 2));
    const reader = new FrameReader(await openEvents(api, session, '?jobId=j1'));
    expect((await reader.eventsThrough(2)).map((frame) => frame.data!.seq)).toEqual([0, 1, 2]);
    await store(api, session, 'j1', jobEvents('j1', 3, 4));
    expect((await reader.eventsThrough(4)).map((frame) => frame.data!.seq)).toEqual([3, 4]);
    await store(api, session, 'j1', jobEvents('j1', 5, 6, true));
    const rest = await reader.rest();
    expect(rest.map((frame) => frame.data?.seq)).toEqual([5, 6]);
    expect(rest.at(-1)!.event).toBe('completed');
  });

  it('serves two readers of one job at once, each every event once', async () => {
    const session = freshSession('two');
    await store(api, session, 'j1', jobEvents('j1', 0, 1));
    const readers = [new FrameReader(await openEvents(api, session)), new FrameReader(await openEvents(api, session, '?after=0'))];
    await Promise.all(readers.map((reader) => reader.eventsThrough(1)));
    await store(api, session, 'j1', jobEvents('j1', 2, 3));
    await store(api, session, 'j1', [jobEvent('j1', 4, 'error', { code: 'PROVIDER_FAILED', message: 'x', retryable: false })]);
    const [first, second] = await Promise.all(readers.map((reader) => reader.rest()));
    expect(first!.map((frame) => frame.data?.seq)).toEqual([2, 3, 4]);
    expect(second!.map((frame) => frame.data?.seq)).toEqual([2, 3, 4]);
    await vi.waitFor(() => expect(api.readers()).toBe(0));
  });

  it('follows the session\'s latest job without a jobId: the one whose first chunk came last, or the one just started', async () => {
    const session = freshSession('latest');
    await store(api, session, 'old', jobEvents('old', 0, 1, true));
    await store(api, session, 'new', jobEvents('new', 0, 1, true));
    const frames = await new FrameReader(await openEvents(api, session)).rest();
    expect(frames.filter((frame) => frame.data).map((frame) => frame.data!.jobId)).toEqual(['new', 'new']);
    // A job the worker announced with PATCH but that has stored nothing yet is the one starting.
    await call(api, 'PATCH', `/sessions/${session}`, { status: 'running', jobId: 'newest' });
    const reader = new FrameReader(await openEvents(api, session));
    await store(api, session, 'newest', jobEvents('newest', 0, 0, true));
    expect((await reader.rest()).filter((frame) => frame.data).map((frame) => frame.data!.jobId)).toEqual(['newest']);
  });

  it('reads what was stored without a notification, by polling', async () => {
    const session = freshSession('poll');
    await store(api, session, 'j1', jobEvents('j1', 0, 0));
    const reader = new FrameReader(await openEvents(api, session));
    await reader.eventsThrough(0);
    const last = jobEvent('j1', 1, 'completed', { sessionId: null });
    // Straight into the table: no NOTIFY is sent.
    await api.sql.query(`insert into chunks (session_id, job_id, seq, type, data, ts) values ($1, 'j1', 1, 'completed', $2, 't')`, [session, JSON.stringify(last)]);
    expect((await reader.rest()).map((frame) => frame.data)).toEqual([last]);
  });

  it('sends a keep-alive comment after a silence', async () => {
    const quiet = await startReferenceDbApi({ keepAliveMs: 30, pollMs: 1000, sql: api.sql });
    try {
      const session = freshSession('quiet');
      await store(quiet, session, 'j1', jobEvents('j1', 0, 0));
      const reader = new FrameReader(await openEvents(quiet, session));
      await reader.eventsThrough(0);
      expect((await reader.next())!.raw).toBe(': keep-alive\n\n');
      await reader.cancel();
    } finally {
      await quiet.close();
    }
  });

  it('forgets a reader whose client went away', async () => {
    const session = freshSession('gone');
    await store(api, session, 'j1', jobEvents('j1', 0, 0));
    const clients = Array.from({ length: 3 }, () => new AbortController());
    const readers = await Promise.all(clients.map(async (client) => new FrameReader(await openEvents(api, session, '', {}, client.signal))));
    await Promise.all(readers.map((reader) => reader.eventsThrough(0)));
    expect(api.readers()).toBe(3);
    for (const client of clients) client.abort();
    await vi.waitFor(() => expect(api.readers()).toBe(0));
  });

  it('ends the streams of a session that is erased', async () => {
    const session = freshSession('erased');
    await store(api, session, 'j1', jobEvents('j1', 0, 0));
    const reader = new FrameReader(await openEvents(api, session));
    await reader.eventsThrough(0);
    expect((await call(api, 'DELETE', `/sessions/${session}`)).status).toBe(204);
    expect(await reader.rest()).toEqual([]);
  });

  it('answers 400 naming the field for a Last-Event-ID or an after that is not a non-negative integer', async () => {
    const session = freshSession('bad');
    await store(api, session, 'j1', jobEvents('j1', 0, 0));
    for (const value of ['-1', '1.5', 'abc', '1e3', '+2', '12345678901234567890']) {
      const header = await openEvents(api, session, '', { 'last-event-id': value });
      expect(header.status).toBe(400);
      expect(((await header.clone().json()) as { error: { message: string } }).error.message).toContain('Last-Event-ID');
      await conforms(header, route, 'get');
      const query = await openEvents(api, session, `?after=${encodeURIComponent(value)}`);
      expect(query.status).toBe(400);
      expect(((await query.json()) as { error: { message: string } }).error.message).toContain('after');
    }
    expect((await openEvents(api, session, '?jobId=a%20b')).status).toBe(400);
  });

  it('answers 404 for an unknown session or job', async () => {
    const unknown = await openEvents(api, freshSession('nobody'));
    expect(unknown.status).toBe(404);
    await conforms(unknown, route, 'get');
    const session = freshSession('known');
    await store(api, session, 'j1', jobEvents('j1', 0, 0));
    expect((await openEvents(api, session, '?jobId=j2')).status).toBe(404);
  });

  it('answers 204 to a client that already has the terminal event of an ended job', async () => {
    const session = freshSession('done');
    await store(api, session, 'j1', jobEvents('j1', 0, 3, true));
    for (const response of [await openEvents(api, session, '', { 'last-event-id': '3' }), await openEvents(api, session, '?after=7')]) {
      expect(response.status).toBe(204);
      await conforms(response, route, 'get');
    }
    const open = await openEvents(api, session, '?after=2');
    await conforms(open, route, 'get');
    expect((await new FrameReader(open).rest()).map((frame) => frame.data?.seq)).toEqual([undefined, 3]);
  });

  it('refuses a reader without the bearer token', async () => {
    expect((await fetch(`${api.url}/sessions/s/events`)).status).toBe(401);
  });
});
