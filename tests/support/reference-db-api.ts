import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDbApiApp } from '../../src/db-api/db-api.app.js';
import { migrate } from '../../src/db-api/migrations.js';
import { openSql, type Sql } from '../../src/db-api/sql.js';

export interface ReferenceDbApi {
  url: string;
  token: string;
  app: ReturnType<typeof createDbApiApp>;
  sql: Sql;
  /** Requests served so far. */
  requests(): number;
  close(): Promise<void>;
}

/** The reference DB API in this process, on an in-memory PGlite (or TEST_DATABASE_URL when set). */
export async function startReferenceDbApi(token = 'reference-db-token-0123456789'): Promise<ReferenceDbApi> {
  const sql = await openSql(process.env.TEST_DATABASE_URL, undefined);
  await migrate(sql);
  const app = createDbApiApp(sql, token);
  let requests = 0;
  const server = serve({ fetch: (req, env) => (requests++, app.fetch(req, env)), port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise((resolve) => (server.listening ? resolve(undefined) : server.once('listening', resolve)));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    app,
    sql,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await sql.close();
    },
  };
}
