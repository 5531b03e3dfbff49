import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { openSql, type Sql } from '../../src/db-api/sql.js';
import { startReferenceDbApi, type ReferenceDbApi, type ReferenceDbApiOptions } from '../support/reference-db-api.js';
import { call, jobEvent, type StoredEvent } from './db-api-fixture.js';

/**
 * Replicas of the DB API on one database, started by each test and closed after it; call at
 * the top of a test file. On PostgreSQL each replica has a pool of its own, so their sweeps
 * truly run at once; PGlite is one in-process database, which they share.
 * Every test that lets a lease lapse lives in lease-sweeper.test.ts: a sweeping replica takes
 * any lapsed lease of its database, so test files running at once would take each other's.
 */
export function useReplicas(): { replicas(count: number, options?: ReferenceDbApiOptions): Promise<ReferenceDbApi[]>; closeAfter(close: () => Promise<void>): void } {
  let database: Sql;
  beforeAll(async () => {
    database = await openSql(process.env.TEST_DATABASE_URL, undefined);
  });
  afterAll(async () => database.close());
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });
  return {
    async replicas(count, options = {}) {
      const all: ReferenceDbApi[] = [];
      while (all.length < count) {
        const sql = process.env.TEST_DATABASE_URL ? await openSql(process.env.TEST_DATABASE_URL, undefined) : database;
        if (sql !== database) closing.push(() => sql.close());
        const api = await startReferenceDbApi({ ...options, sql });
        closing.push(api.close);
        all.push(api);
      }
      return all;
    },
    closeAfter: (close) => void closing.push(close),
  };
}

/** Makes the session's leases lapse now, instead of waiting for their TTL. */
export const lapse = (sql: Sql, sessionId: string) => sql.query(`update leases set expires_at = now() - interval '1 second' where session_id = $1`, [sessionId]);

export const lease = (api: ReferenceDbApi, sessionId: string, body: unknown) => call(api, 'PUT', `/sessions/${sessionId}/lease`, body);

export type StoredChunk = { jobId: string; seq: number; type: string; data: StoredEvent };

export async function storedChunks(api: ReferenceDbApi, sessionId: string): Promise<StoredChunk[]> {
  return ((await (await call(api, 'GET', `/sessions/${sessionId}/chunks`)).json()) as { chunks: StoredChunk[] }).chunks;
}

/** A job under way: connected, two assistant messages (the provider's session id, then none), a message. */
export const running = (jobId: string): StoredEvent[] => [
  jobEvent(jobId, 0, 'connected', { provider: 'claude-code', workerId: 'w1', apiVersion: '1' }),
  jobEvent(jobId, 1, 'assistant_message', { sessionId: 'provider-session-1', item: { kind: 'text', text: 'hi' } }),
  jobEvent(jobId, 2, 'assistant_message', { sessionId: null, item: { kind: 'text', text: 'there' } }),
  jobEvent(jobId, 3),
];

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback that answers each POST with the next status of `statuses`. */
export async function webhookReceiver(statuses: number[], closeAfter: (close: () => Promise<void>) => void): Promise<{ url: string; deliveries: Delivery[]; received(count: number): Promise<Delivery[]> }> {
  const deliveries: Delivery[] = [];
  const waiting: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      const status = statuses.shift() ?? 200;
      res.writeHead(status, status >= 300 && status < 400 ? { location: '/elsewhere' } : {}).end();
      waiting.splice(0).forEach((wake) => wake());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeAfter(() => new Promise((resolve) => server.close(() => resolve())));
  const received = async (count: number): Promise<Delivery[]> => {
    while (deliveries.length < count) await new Promise<void>((resolve) => waiting.push(resolve));
    return deliveries;
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/worker-lost`, deliveries, received };
}
