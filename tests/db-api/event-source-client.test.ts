import { EventSource, type FetchLikeResponse } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSql, type Sql } from '../../src/db-api/sql.js';
import { startReferenceDbApi, type ReferenceDbApi } from '../support/reference-db-api.js';
import { freshSession, jobEvents, store, type StoredEvent } from './db-api-fixture.js';

const eventTypes = ['connected', 'message', 'completed', 'error'];

describe('a standard EventSource client on GET /sessions/{id}/events', () => {
  let database: Sql;
  beforeAll(async () => {
    database = await openSql(process.env.TEST_DATABASE_URL, undefined);
  });
  afterAll(async () => database.close());

  it('reattaches to another replica with Last-Event-ID when its stream is cut, gets every event once, and stops on 204 after the terminal event', async () => {
    const first = await startReferenceDbApi({ sql: database });
    const second = await startReferenceDbApi({ sql: database });
    let current: ReferenceDbApi = first;
    const session = freshSession('eventsource');
    await store(first, session, 'j1', jobEvents('j1', 0, 4));

    // The client's fetch adds the bearer token and goes to whichever replica is up, as a load balancer would.
    const requests: Array<{ replica: string; lastEventId: string | undefined; status: number }> = [];
    const source = new EventSource(`http://db-api.invalid/sessions/${session}/events`, {
      fetch: async (url, init): Promise<FetchLikeResponse> => {
        const replica = current;
        const response = await fetch(new URL(new URL(url).pathname + new URL(url).search, replica.url), {
          ...init,
          headers: { ...init.headers, authorization: `Bearer ${replica.token}` },
        });
        requests.push({ replica: replica === first ? 'first' : 'second', lastEventId: init.headers['Last-Event-ID'], status: response.status });
        return response;
      },
    });
    const received: StoredEvent[] = [];
    const upTo = (seq: number) =>
      new Promise<void>((resolve) => {
        const check = (): void => void (received.at(-1)?.seq === seq && resolve());
        check();
        for (const type of eventTypes) source.addEventListener(type, check);
      });
    // `error` is also the name of EventSource's own connection-error event, which carries no data.
    const record = (event: MessageEvent | Event): void => void ('data' in event && typeof event.data === 'string' && received.push(JSON.parse(event.data) as StoredEvent));
    for (const type of eventTypes) source.addEventListener(type, record);
    const stopped = new Promise<void>((resolve) => source.addEventListener('error', () => source.readyState === EventSource.CLOSED && resolve()));

    await upTo(4);
    // The first replica shuts down: its streams end without a terminal event.
    current = second;
    await first.close();
    await store(second, session, 'j1', jobEvents('j1', 5, 7, true));
    await upTo(7);
    await stopped;

    expect(received.map((event) => event.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(received.at(-1)!.type).toBe('completed');
    expect(requests).toEqual([
      { replica: 'first', lastEventId: undefined, status: 200 },
      { replica: 'second', lastEventId: '4', status: 200 },
      { replica: 'second', lastEventId: '7', status: 204 },
    ]);
    await second.close();
  });
});
