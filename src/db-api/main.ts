import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { createDbApiApp } from './db-api.app.js';
import { migrate } from './migrations.js';
import { openSql } from './sql.js';

const log = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

/** A whole number of milliseconds from the environment, or the default; anything else stops the start. */
function millis(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) {
    process.stderr.write(`db-api: ${name} must be a whole number of milliseconds\n`);
    process.exit(2);
  }
  return Number(text);
}

/** `npm run db-api`: the reference DB API on DATABASE_URL, or on an embedded PostgreSQL. */
async function main(): Promise<void> {
  const token = process.env.DB_API_TOKEN ?? (process.env.DB_API_TOKEN_FILE && readFileSync(process.env.DB_API_TOKEN_FILE, 'utf8').trim());
  if (!token) {
    process.stderr.write('db-api: set DB_API_TOKEN (or DB_API_TOKEN_FILE)\n');
    process.exit(2);
  }
  // DATABASE_URL_FILE: the URL holds a password, so deployments pass it as a secret file.
  const databaseUrl = process.env.DATABASE_URL ?? (process.env.DATABASE_URL_FILE && readFileSync(process.env.DATABASE_URL_FILE, 'utf8').trim()) ?? undefined;
  const sql = await openSql(databaseUrl || undefined, process.env.DB_API_DATA_DIR ?? (databaseUrl ? undefined : '.db-api-data'));
  await migrate(sql);
  const port = Number(process.env.DB_API_PORT ?? 5100);
  const hostname = process.env.DB_API_HOST ?? '127.0.0.1';
  const api = createDbApiApp({
    sql,
    token,
    leaseSweepMs: millis('DB_API_LEASE_SWEEP_MS', 1000),
    pollMs: millis('DB_API_POLL_MS', 1000),
    keepAliveMs: millis('DB_API_KEEPALIVE_MS', 15_000),
    log,
  });
  const server = serve({ fetch: api.app.fetch, port, hostname }, (info) => {
    log({ msg: 'listening', port: info.port, host: hostname, database: databaseUrl ? 'postgresql' : 'embedded' });
  });
  const stop = (): void => {
    // Stop accepting; api.close() ends the event streams (their clients reconnect elsewhere with
    // Last-Event-ID), so the server closes once the requests under way are answered.
    const closed = new Promise((resolve) => server.close(resolve));
    void api
      .close()
      .then(() => closed)
      .finally(() => sql.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
