import type { Sql } from './sql.js';

/** Applied in order on every start; each is idempotent. */
const migrations = [
  `create table if not exists sessions (
     id text primary key,
     status text not null,
     job_id text not null,
     updated_at timestamptz not null default now())`,
  `create table if not exists chunks (
     session_id text not null,
     job_id text not null,
     seq integer not null,
     type text not null,
     data jsonb not null,
     ts text not null,
     received bigserial,
     primary key (session_id, job_id, seq))`,
  `create table if not exists snapshots (
     session_id text primary key,
     body jsonb not null,
     updated_at timestamptz not null default now())`,
];

export async function migrate(sql: Sql): Promise<void> {
  for (const statement of migrations) await sql.query(statement);
}
