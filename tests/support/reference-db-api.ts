import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDbApiApp, type DbApiOptions } from '../../src/db-api/db-api.app.js';
import { migrate } from '../../src/db-api/migrations.js';
import { openSql, type Sql } from '../../src/db-api/sql.js';

export interface ReferenceDbApi {
  url: string;
  token: string;
  app: Hono;
  sql: Sql;
  /** Requests served so far. */
  requests(): number;
  /** Event-stream readers connected now. */
  readers(): number;
  close(): Promise<void>;
}

export interface ReferenceDbApiOptions extends Partial<Omit<DbApiOptions, 'sql'>> {
  /** Another server's database, for several replicas on one; that server closes it. */
  sql?: Sql;
}

/**
 * The reference DB API in this process, on an in-memory PGlite (or TEST_DATABASE_URL when set).
 * Its lease sweeper is off unless `leaseSweepMs` is given.
 */
export async function startReferenceDbApi(options: ReferenceDbApiOptions = {}): Promise<ReferenceDbApi> {
  const token = options.token ?? 'reference-db-token-0123456789';
  const sql = options.sql ?? (await openSql(process.env.TEST_DATABASE_URL, undefined));
  await migrate(sql);
  const api = createDbApiApp({ leaseSweepMs: 0, ...options, sql, token });
  let requests = 0;
  const server = serve({ fetch: (req, env) => (requests++, api.app.fetch(req, env)), port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise((resolve) => (server.listening ? resolve(undefined) : server.once('listening', resolve)));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    app: api.app,
    sql,
    requests: () => requests,
    readers: api.readers,
    close: async () => {
      await api.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      if (!options.sql) await sql.close();
    },
  };
}
