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
  // A worker's claim on the job it runs; the lease sweeper records WORKER_LOST once it lapses.
  `create table if not exists leases (
     session_id text not null,
     job_id text not null,
     expires_at timestamptz not null,
     webhook jsonb,
     primary key (session_id, job_id))`,
  `create index if not exists leases_expires_at on leases (expires_at)`,
  // Whether a job has ended is asked by every reader, lease and sweep.
  `create index if not exists chunks_terminal on chunks (session_id, job_id) where type in ('completed', 'error')`,
];

// Any fixed number, the same in every replica: the advisory lock the migration holds.
const migrationLock = 1970496610;

/**
 * One statement, under a transaction-wide advisory lock: replicas (or test processes) starting
 * together on a fresh database would otherwise race on `create ... if not exists`, which fails
 * with a unique violation in PostgreSQL's catalog when two sessions create the same name at once.
 */
export async function migrate(sql: Sql): Promise<void> {
  await sql.query(`do $migrate$ begin
    perform pg_advisory_xact_lock(${migrationLock});
    ${migrations.join(';\n')};
  end $migrate$`);
}
