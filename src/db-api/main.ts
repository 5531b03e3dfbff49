import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { createDbApiApp } from './db-api.app.js';
import { migrate } from './migrations.js';
import { openSql } from './sql.js';

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
  const server = serve({ fetch: createDbApiApp(sql, token).fetch, port, hostname }, (info) => {
    process.stdout.write(`${JSON.stringify({ msg: 'listening', port: info.port, host: hostname, database: databaseUrl ? 'postgresql' : 'embedded' })}\n`);
  });
  const stop = (): void => {
    server.close(() => void sql.close().finally(() => process.exit(0)));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
